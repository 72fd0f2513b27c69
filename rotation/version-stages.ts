/**
 * Secrets Manager's version stages, named once for rotation/; db-bootstrap/ and the local harness
 * (the Secrets Manager endpoint, the rotator) import them from here. app/ keeps its own copy
 * (app/src/credentials/stages.ts): it is the only code in the production image.
 */
export const AWSCURRENT = 'AWSCURRENT';
export const AWSPENDING = 'AWSPENDING';
export const AWSPREVIOUS = 'AWSPREVIOUS';
