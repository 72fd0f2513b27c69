/**
 * bad-secret: malformed versions are published as AWSCURRENT (as a broken deployment script or a
 * hand edit in the console would): at 25 % of the run one that is not JSON, at 40 % one without
 * "username", then at 55 % a good one (the last good value again). Both bad ones carry a fresh
 * password, so the hygiene scan proves neither reached a log. Expected: 0 failed requests, the
 * credentials in use never change to a bad version, exactly one error line per task and bad version
 * naming the problem, and every task on the good version afterwards. Rotations run after that.
 */
import { randomBytes } from 'node:crypto';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { countOccurrences } from '../leaks.js';
import { cycleMs, SCHEDULE_MARGIN_MS } from '../schedule.js';
import { check, type Fault, type FaultContext, type FaultEvidence } from './fault.js';

interface Published {
  kind: 'not-json' | 'missing-username' | 'good';
  versionId: string;
  atMs: number;
}

const REJECTED_MESSAGE = 'secret version rejected';

export function badSecret(): Fault {
  const published: Published[] = [];
  const passwords: string[] = [];
  const plan = { 'not-json': 0.25, 'missing-username': 0.4, good: 0.55 } as const;

  const publish = async (
    client: SecretsManagerClient,
    secretId: string,
    secretString: string,
  ): Promise<string> => {
    const out = await client.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        SecretString: secretString,
        VersionStages: ['AWSCURRENT'],
      }),
    );
    return out.VersionId ?? '';
  };

  return {
    name: 'bad-secret',
    description:
      'malformed AWSCURRENT versions (not JSON at 25 %, no "username" at 40 %), then a good one at 55 %; rotations after that',
    rotationTimesMs(o) {
      const d = o.durationSeconds * 1000;
      return Array.from({ length: o.rotations }, (_, k) =>
        Math.round(0.65 * d + (0.2 * d * (k + 0.5)) / o.rotations),
      );
    },
    minDurationSeconds(o) {
      // Each published version must meet every task's health cycle before the next one replaces it,
      // and the good one before the first rotation (0.65·d + 0.1·d/rotations).
      const seen = cycleMs(o) + SCHEDULE_MARGIN_MS;
      const firstRotation = o.rotations > 0 ? 0.1 * (1 + 1 / o.rotations) : Infinity;
      return Math.max(seen / (plan['missing-username'] - plan['not-json']), seen / firstRotation) / 1000;
    },
    passwords: () => [...passwords],
    async run(ctx: FaultContext) {
      const admin = ctx.stack.secretsManagerClient('admin');
      const secretId = ctx.stack.appSecretId;
      try {
        const good = (await admin.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString ?? '';
        const value = JSON.parse(good) as Record<string, unknown>;
        for (const kind of ['not-json', 'missing-username', 'good'] as const) {
          if (!(await ctx.until(plan[kind] * ctx.options.durationSeconds * 1000))) return;
          const password = randomBytes(18).toString('base64url');
          let secretString: string;
          if (kind === 'not-json') {
            passwords.push(password);
            // Cut short: the kind of value a broken template or a hand edit produces.
            secretString = JSON.stringify({ ...value, password }).slice(0, -12);
          } else if (kind === 'missing-username') {
            passwords.push(password);
            const rest: Record<string, unknown> = { ...value, password };
            delete rest.username;
            secretString = JSON.stringify(rest);
          } else {
            secretString = good;
          }
          const versionId = await publish(admin, secretId, secretString);
          published.push({ kind, versionId, atMs: ctx.now() });
          ctx.say(`fault bad-secret: published a ${kind} version ${versionId.slice(0, 8)} as AWSCURRENT`);
        }
      } finally {
        admin.destroy();
      }
    },
    evaluate(e: FaultEvidence) {
      const bad = published.filter((p) => p.kind !== 'good');
      const good = published.find((p) => p.kind === 'good');
      const tasks = e.taskLines.length;
      // Task log lines are pino JSON; anything else (a stack trace) is not a rejection line.
      const rejections = (lines: readonly string[], versionId: string) =>
        lines.filter((line) => {
          try {
            const entry = JSON.parse(line) as { level?: number; msg?: string; versionId?: string };
            return (
              entry.level === 50 && entry.versionId === versionId && entry.msg?.startsWith(REJECTED_MESSAGE)
            );
          } catch {
            return false;
          }
        });
      const perVersion = bad.map((p) => {
        const lines = e.taskLines.map((l) => rejections(l, p.versionId));
        const named = lines.every((ls) =>
          ls.every((l) => (p.kind === 'not-json' ? /not valid JSON/.test(l) : /"username"/.test(l))),
        );
        return {
          kind: p.kind,
          versionId: p.versionId,
          errorLinesPerTask: lines.map((ls) => ls.length),
          named,
        };
      });
      const adoptedBad = e.adoptions.filter((a) => bad.some((p) => p.versionId === a.versionId)).length;
      const adoptedGood = good
        ? Array.from({ length: tasks }, (_, t) =>
            e.adoptions.some((a) => a.target === t && a.versionId === good.versionId),
          )
        : [];
      const inTaskLogs = passwords.reduce(
        (sum, p) =>
          sum +
          e.taskLines.reduce((s, lines) => s + lines.reduce((n, l) => n + countOccurrences(l, p), 0), 0),
        0,
      );
      return {
        name: 'bad-secret' as const,
        description: this.description,
        events: published.map((p) => ({ atMs: p.atMs, label: `${p.kind} version` })),
        expectedFailures: 0,
        figures: {
          versions: perVersion,
          adoptedBadVersions: adoptedBad,
          adoptedGoodVersion: adoptedGood,
          badPasswordsInTaskLogs: inTaskLogs,
        },
        checks: [
          check('all three versions were published', published.length === 3, `${published.length}/3`),
          check('no task used a bad version', adoptedBad === 0, `${adoptedBad} adoptions of a bad version`),
          check(
            'one error line per task and bad version',
            perVersion.every((v) => v.errorLinesPerTask.every((n) => n === 1)),
            perVersion.map((v) => `${v.kind}: ${v.errorLinesPerTask.join('/')}`).join(', '),
          ),
          check(
            'each error names the problem',
            perVersion.every((v) => v.named),
            perVersion.map((v) => `${v.kind}: ${v.named ? 'named' : 'not named'}`).join(', '),
          ),
          check(
            'every task moved to the good version',
            adoptedGood.length === tasks && adoptedGood.every(Boolean),
            adoptedGood.map((x, t) => `task${t + 1} ${x ? 'yes' : 'no'}`).join(', '),
          ),
          check(
            'the bad versions\u2019 passwords are in no task log',
            inTaskLogs === 0,
            `${inTaskLogs} occurrences`,
          ),
        ],
      };
    },
  };
}
