/** The authenticated caller, as the ACL and handlers see it. */
export interface Principal {
  id: string;
  roles: readonly string[];
}
