/** What the last health-check cycle found; `/health/ready` reports it and never does I/O itself. */
export interface ReadinessSnapshot {
  ready: boolean;
  draining: boolean;
  database: { reachable: boolean; checkedAt: string | null; error?: string };
  credentials: {
    versionId: string | null;
    stage: string | null;
    username: string | null;
    fetchedAt: string | null;
    ageSeconds: number | null;
    lastCheckAt: string | null;
    lastCheckError?: string;
  };
  pool: { generation: number; total: number; idle: number; waiting: number };
}

export interface ReadinessSource {
  snapshot(): ReadinessSnapshot;
}
