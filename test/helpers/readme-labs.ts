/**
 * The README's labs, read from the README itself: each lab's number, title, text, and the commands
 * of its `sh` code blocks, as a newcomer would type them. The lab tests run exactly these.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './repo-cli.js';

export interface Lab {
  number: number;
  title: string;
  /** The lab's markdown, from its bold title to the next lab or section. */
  text: string;
  /** One entry per command line of its sh blocks (comments and blank lines left out). */
  commands: string[];
}

export function readmeLabs(readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')): Lab[] {
  const start = readme.indexOf('\n## Labs\n');
  if (start < 0) throw new Error('README.md has no "## Labs" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const heads = [...section.matchAll(/^\*\*(\d+)\. ([^*]+?)\*\*/gm)];
  return heads.map((head, i) => {
    const text = section.slice(head.index, heads[i + 1]?.index);
    const commands = [...text.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].flatMap(([, block = '']) =>
      block
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.startsWith('#')),
    );
    return { number: Number(head[1]), title: (head[2] ?? '').replace(/\.$/, ''), text, commands };
  });
}

export function lab(number: number): Lab {
  const found = readmeLabs().find((l) => l.number === number);
  if (found === undefined) throw new Error(`README.md has no lab ${number}`);
  return found;
}
