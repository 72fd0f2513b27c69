/**
 * Reads `npm audit --json` output. npm's own exit code cannot tell "findings" from "the registry
 * has no audit endpoint" (mirrors and some proxies answer 405), so the JSON decides:
 *   any high or critical advisory → fail, each one listed
 *   no audit report at all        → fail when the audit is required, otherwise a warning
 *   otherwise                     → pass, with the counts per severity
 */
export interface AuditReport {
  vulnerabilities?: Record<string, { severity: string; via: (string | { title?: string; url?: string })[] }>;
  metadata?: { vulnerabilities?: Record<string, number> };
  error?: { code?: string; summary?: string };
  message?: string;
}

export interface AuditVerdict {
  pass: boolean;
  /** Lines for the terminal; `warning` ones mean the audit did not run. */
  lines: { level: 'info' | 'warning' | 'error'; text: string }[];
}

const BLOCKING = new Set(['high', 'critical']);

export function auditVerdict(report: AuditReport, required: boolean): AuditVerdict {
  const counts = report.metadata?.vulnerabilities;
  if (counts === undefined) {
    const why = report.error?.summary || report.message || 'no audit report';
    return required
      ? {
          pass: false,
          lines: [{ level: 'error', text: `npm audit could not run: ${why} (REQUIRE_AUDIT=1)` }],
        }
      : {
          pass: true,
          lines: [
            {
              level: 'warning',
              text: `npm audit could not run: ${why}. The registry in use offers no audit endpoint; set REQUIRE_AUDIT=1 to fail instead.`,
            },
          ],
        };
  }
  const lines: AuditVerdict['lines'] = [
    {
      level: 'info',
      text: `npm audit --omit=dev: ${Object.entries(counts)
        .filter(([k]) => k !== 'total')
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}`,
    },
  ];
  const blocking = Object.entries(report.vulnerabilities ?? {}).filter(([, v]) => BLOCKING.has(v.severity));
  for (const [name, v] of blocking) {
    // `via` names either an advisory or the dependency it comes through.
    const via = v.via.map((x) =>
      typeof x === 'string' ? `via ${x}` : `${x.title ?? ''} ${x.url ?? ''}`.trim(),
    );
    lines.push({ level: 'error', text: `${v.severity.toUpperCase()} ${name}: ${via.join('; ')}` });
  }
  return { pass: blocking.length === 0, lines };
}
