// The grants of logins with no person, as the command line names them: on their own so that the
// command line can list them without loading the OAuth engine.
export const UNATTENDED_GRANTS = ['client_credentials', 'jwt-bearer', 'enterprise'] as const;
export type UnattendedGrant = (typeof UNATTENDED_GRANTS)[number];
