export const AWSCURRENT = 'AWSCURRENT';
export const AWSPENDING = 'AWSPENDING';
export const AWSPREVIOUS = 'AWSPREVIOUS';
export type VersionStage = typeof AWSCURRENT | typeof AWSPENDING | typeof AWSPREVIOUS;
