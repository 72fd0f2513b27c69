/**
 * Reading operation input the way the service front end does: wrong JSON types are a
 * SerializationException, a missing required member or a length/range outside the model is a
 * ValidationException (with the member named in camelCase, as the service writes it).
 */
import { ServiceError, validationError } from './service-error.js';

export type JsonObject = Record<string, unknown>;

interface StringRule {
  min?: number;
  max?: number;
  /** Never echo the value in an error message. */
  sensitive?: boolean;
}

interface IntegerRule {
  min?: number;
  max?: number;
}

export interface Tag {
  Key: string;
  Value: string;
}

const memberPath = (member: string): string => member.charAt(0).toLowerCase() + member.slice(1);

const wrongType = (member: string, expected: string): ServiceError =>
  new ServiceError('SerializationException', `Expected ${expected} for member '${memberPath(member)}'`);

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkLength(member: string, value: string, rule: StringRule): string {
  if (rule.min !== undefined && value.length < rule.min) {
    throw validationError(
      memberPath(member),
      `Member must have length greater than or equal to ${rule.min}`,
      value,
      rule,
    );
  }
  if (rule.max !== undefined && value.length > rule.max) {
    throw validationError(
      memberPath(member),
      `Member must have length less than or equal to ${rule.max}`,
      value,
      rule,
    );
  }
  return value;
}

export function optionalString(input: JsonObject, member: string, rule: StringRule = {}): string | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw wrongType(member, 'a string');
  return checkLength(member, value, rule);
}

export function requiredString(input: JsonObject, member: string, rule: StringRule = {}): string {
  const value = optionalString(input, member, rule);
  if (value === undefined) throw validationError(memberPath(member), 'Member must not be null', undefined);
  return value;
}

export function optionalBoolean(input: JsonObject, member: string): boolean | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw wrongType(member, 'a boolean');
  return value;
}

export function optionalInteger(
  input: JsonObject,
  member: string,
  rule: IntegerRule = {},
): number | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw wrongType(member, 'an integer');
  if (rule.min !== undefined && value < rule.min) {
    throw validationError(
      memberPath(member),
      `Member must have value greater than or equal to ${rule.min}`,
      value,
    );
  }
  if (rule.max !== undefined && value > rule.max) {
    throw validationError(
      memberPath(member),
      `Member must have value less than or equal to ${rule.max}`,
      value,
    );
  }
  return value;
}

export function optionalObject(input: JsonObject, member: string): JsonObject | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (!isJsonObject(value)) throw wrongType(member, 'a structure');
  return value;
}

export function optionalStringList(
  input: JsonObject,
  member: string,
  rule: { minItems?: number; maxItems?: number; item?: StringRule } = {},
): string[] | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw wrongType(member, 'a list');
  const items = value.map((item: unknown) => {
    if (typeof item !== 'string') throw wrongType(member, 'a list of strings');
    return checkLength(member, item, rule.item ?? {});
  });
  if (rule.minItems !== undefined && items.length < rule.minItems) {
    throw validationError(
      memberPath(member),
      `Member must have length greater than or equal to ${rule.minItems}`,
      `[${items.join(', ')}]`,
    );
  }
  if (rule.maxItems !== undefined && items.length > rule.maxItems) {
    throw validationError(
      memberPath(member),
      `Member must have length less than or equal to ${rule.maxItems}`,
      `[${items.join(', ')}]`,
    );
  }
  return items;
}

export function requiredStringList(
  input: JsonObject,
  member: string,
  rule: Parameters<typeof optionalStringList>[2] = {},
): string[] {
  const value = optionalStringList(input, member, rule);
  if (value === undefined) throw validationError(memberPath(member), 'Member must not be null', undefined);
  return value;
}

/** Tags as the service models them: at most 50, key 1..128 characters, value 0..256 characters. */
export function optionalTags(input: JsonObject, member = 'Tags'): Tag[] | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw wrongType(member, 'a list');
  if (value.length > 50) {
    throw validationError(memberPath(member), 'Member must have length less than or equal to 50', undefined);
  }
  return value.map((tag: unknown) => {
    if (!isJsonObject(tag)) throw wrongType(member, 'a list of tags');
    const key = optionalString(tag, 'Key', { min: 1, max: 128 });
    const tagValue = optionalString(tag, 'Value', { max: 256 });
    if (key === undefined) throw invalidTagKey();
    return { Key: key, Value: tagValue ?? '' };
  });
}

export function requiredTags(input: JsonObject, member = 'Tags'): Tag[] {
  const value = optionalTags(input, member);
  if (value === undefined) throw validationError(memberPath(member), 'Member must not be null', undefined);
  return value;
}

function invalidTagKey(): ServiceError {
  return new ServiceError('InvalidParameterException', 'You must specify a tag key.');
}
