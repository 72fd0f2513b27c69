/**
 * Secrets Manager's version stages, named once for app/. rotation/ has its own copy
 * (rotation/version-stages.ts) on purpose: app/ imports nothing outside app/, because it is the
 * only code in the production image.
 */
export const AWSCURRENT = 'AWSCURRENT';
export const AWSPENDING = 'AWSPENDING';
export const AWSPREVIOUS = 'AWSPREVIOUS';
export const VERSION_STAGES = [AWSCURRENT, AWSPENDING, AWSPREVIOUS] as const;
export type VersionStage = (typeof VERSION_STAGES)[number];

export function isVersionStage(stage: string): stage is VersionStage {
  return (VERSION_STAGES as readonly string[]).includes(stage);
}
