import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasEspeak } from './media';
import { runSpeechExample } from './pipeline';

if (!hasEspeak()) {
  console.error('this example needs espeak-ng: sudo apt-get install espeak-ng');
  process.exit(1);
}
await runSpeechExample({ dir: await mkdtemp(join(tmpdir(), 'emoje-speech-')) });
