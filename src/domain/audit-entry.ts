export interface AuditEntry {
  id: string;
  at: Date;
  /** Who: slack:U123, discord:456, cli:ana, api:ci. */
  principal: string;
  app: string | null;
  /** What was asked or clicked, as written: "restore 7k3qx2 to shop/staging", "approve r4x9ka". */
  action: string;
  outcome: 'ok' | 'failed' | 'refused';
  detail: string | null;
}
