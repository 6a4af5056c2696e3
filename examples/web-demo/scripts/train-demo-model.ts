/**
 * Makes the demo's model with the `emoje` CLI and writes it to public/models/demo (model.json + weights.bin), where
 * the page loads it from.
 *
 * 1. Writes a synthetic conversation data set as a dialogue JSON Lines file (the format of `@emoje/datasets`: a header
 *    with the classes and the modalities `text`, `audio` 77-wide, `face` 15-wide, then one dialogue per line with
 *    train/dev/test splits). By default into a temporary folder that is deleted afterwards; `--data <file>` keeps it.
 * 2. Trains on it by running `emoje --backend wasm train --dataset <file> --out <dir> --epochs <n> --seed 7` in this
 *    process (`runCli`): the CLI builds the vocabulary from the training texts, starts the word embeddings from the
 *    bundled GloVe 100-d vectors and uses `TEXT_PRESET`, as for any JSON Lines file with a text modality.
 * 3. Loads the saved model and prints what it predicts for a few typed sentences that are not in the data.
 *
 * The data are made here, reproducibly, with no download: sentences from per-class templates filled with common
 * emotion words (joy, sadness, anger) and everyday statements (neutral); speech-like audio whose pitch, loudness and
 * tempo follow the class (rendered and featurized exactly like a microphone recording); a noisy face-api.js-style
 * expression per class. Some utterances lack audio or face, so the model learns to fill them in. It shows the path
 * from a page to predictions; it is not a real emotion recognizer.
 *
 *   npx tsx --conditions=@emoje/source examples/web-demo/scripts/train-demo-model.ts [--epochs 10] [--dialogues 360] [--data demo.jsonl] [--out examples/web-demo/public/models/demo]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SeededRandom } from '@emoje/core';
import { extractAudioFeatures, tokenize } from '@emoje/encoders';
import { initBackend, loadModel, runCli } from '@emoje/runtime-node';
import { expressionVector } from '../src/dialogue';

export const CLASSES = ['neutral', 'joy', 'sadness', 'anger'] as const;
type Emotion = (typeof CLASSES)[number];

/**
 * Typed sentences that must not occur in the data (compared token by token, punctuation ignored), so what the demo
 * shows for them, and what this script prints, is about sentences the model never saw. The e2e test types the first
 * three.
 */
export const PROBES = [
  'Oh this is wonderful, I love it',
  'stop it, this is ridiculous',
  'i miss her so much',
  'I am so angry at you',
  'The meeting is at noon.',
  'I feel so lonely without you',
  'Thanks, this is the best gift ever!',
] as const;

const words = (s: string) => s.split('|');
/** Slot fillers shared by the classes, so that objects and people carry no emotion by themselves. */
const SLOTS: Record<string, string[]> = {
  int: words('|so|really|very|totally|just|pretty|truly|extremely|absolutely'),
  target: words('it|this|that|the party|the trip|the new job|the house|the news|the dinner|this place|the movie|the results|the weekend|the gift|the game|the song|the plan|our trip|your idea|the food'),
  person: words('you|him|her|them|my boss|my brother|my sister|your friends|the neighbours|my dad|my mom|my friend|grandma|the kids'),
  noun: words('day|idea|surprise|party|gift|trip|evening|weekend|time|dinner|song|game|present'),
  time: words('noon|five|nine thirty|eight|three|ten|midnight|seven fifteen'),
  day: words('monday|tuesday|wednesday|thursday|friday|saturday|tomorrow|next week|the weekend'),
  doc: words('the report|the file|the address|the numbers|the schedule|the list|the email|the receipt|the form|the tickets'),
  thing: words('car|key|phone|bag|book|umbrella|milk|printer|charger|coat|bread|laptop'),
  place: words('store|office|kitchen|station|bank|library|garage|hallway|school|airport'),
  event: words('meeting|appointment|call|bus|class|dinner|party|game|flight|interview|train'),
  // joy
  joyAdj: words('happy|glad|delighted|thrilled|excited|pleased|grateful|thankful|proud|cheerful|overjoyed|lucky|relieved|in love|ecstatic|joyful|elated|blessed|fortunate|amazed|satisfied|content|stoked|so happy'),
  good: words('wonderful|great|amazing|fantastic|awesome|lovely|beautiful|perfect|brilliant|excellent|incredible|fabulous|terrific|marvelous|so nice|so much fun|so sweet|the best|cool|super|adorable|cute|charming|delightful|superb|outstanding|splendid|magnificent|gorgeous|stunning|exciting|hilarious|funny|impressive|fun'),
  love: words('love|adore|enjoy|really like|am loving|appreciate|like'),
  // sadness
  sadAdj: words('sad|unhappy|lonely|alone|miserable|depressed|heartbroken|hurt|down|empty|hopeless|devastated|gloomy|sorry|crushed|lost|blue|broken|helpless|worthless|disappointed|discouraged|exhausted|homesick|ashamed|guilty|numb|grieving'),
  tragic: words('terrible|awful|tragic|heartbreaking|painful|unbearable|so sad|depressing|horrible|dreadful|bleak|miserable|sad'),
  miss: words('miss|lost|will never see|cried over|keep thinking about|mourn'),
  // anger
  angAdj: words('angry|mad|furious|annoyed|irritated|outraged|livid|fed up|frustrated|pissed off|sick of this|enraged|infuriated|disgusted|offended|bitter|pissed|so angry'),
  bad: words('ridiculous|unacceptable|outrageous|stupid|pathetic|unbelievable|insulting|absurd|a joke|disgusting|a disgrace|nonsense|idiotic|unfair|rude|insane|useless|selfish|arrogant|lazy|incompetent|disrespectful'),
  hate: words("hate|despise|can't stand|am sick of|am done with|am tired of"),
  insult: words('idiot|jerk|liar|moron|fool|coward|loser|creep|hypocrite'),
  pet: words('dog|cat|grandpa|grandmother|best friend|uncle'),
  chore: words('do the laundry|clean the kitchen|walk the dog|pay the bills|fix the sink|call the bank|finish the report|pick up the kids|go shopping|water the plants'),
  color: words('blue|red|green|black|white|grey'),
  city: words('paris|london|chicago|boston|new york|berlin|seattle|madrid'),
  food: words('coffee|tea|pizza|soup|salad|sandwiches|eggs|pasta|rice'),
  command: words("stop it|shut up|get out|leave me alone|go away|get lost|back off|don't touch me|stop lying|don't you dare|get out of my face|stop yelling at me|enough"),
};

const TEMPLATES: Record<Emotion, string[]> = {
  neutral: [
    'the {event} is at {time}', 'the {event} is on {day}', 'i will check {doc}', 'can you send me {doc}', 'what time is it', 'let us talk {day}',
    'it is on the table', 'i am going to the {place}', 'the {event} leaves at {time}', 'okay', 'sure', 'i read {doc}', 'where is the {thing}',
    'did you call {person}', 'we need to buy {thing}', 'the {thing} is in the {place}', 'i think it starts at {time}', 'please close the door',
    'i will be there in ten minutes', 'he works at the {place}', 'it is my turn', 'let me see', 'the {event} moved to {day}', 'send it to {person}',
    'i am not sure, maybe {day}', 'we have {doc} for {day}', 'i bought the {thing}', 'the party is on {day}', 'did you see the news',
    'the results come out on {day}', 'i am at the {place}', 'i am on my way', 'i feel fine', 'i am okay', 'it is raining', 'the {place} opens at {time}',
    'can you pass me the {thing}', 'i left the {thing} in the car', 'how was {target}', 'tell {person} i called', 'we took the {event} at {time}',
    'this is the {thing} i told you about', 'i have to go to the {place} {day}', 'is that your {thing}', 'yes', 'no, the other one', 'hmm, i see',
    'hello', 'hi', 'hi there', 'good morning', 'how are you', 'see you {day}', 'bye', 'what do you think', 'can you help me with {doc}', 'i need to {chore}',
    'i have to {chore} {day}', 'could you pick me up at {time}', 'the {thing} is {color}', 'i am cooking {food}', 'we are out of {food}', 'it costs ten dollars',
    'turn left at the {place}', 'the weather is cloudy', 'i was born in {city}', 'she lives in {city}', 'we moved to {city} last year', 'i am reading a book',
    'he is watching tv', 'what is your name', 'my name is {name}', 'this is {name}', 'do you want {food} or {food}', 'the kids are at school', 'i will call you back',
    'wait a second', 'one moment please', 'let me think', 'maybe', 'i guess so', 'right', 'alright', 'i know', 'got it', 'i had {food} for lunch',
  ],
  joy: [
    'i am {int} {joyAdj}', 'i feel {int} {joyAdj}', 'i am {int} {joyAdj} about {target}', '{target} is {int} {good}', 'this is {int} {good}',
    'what a {good} {noun}', 'i {love} {target}', 'i {love} it', '{good} news', 'thank you so much', 'thanks a lot, that is {good}', 'we did it',
    'congratulations', 'best {noun} ever', 'that makes me so happy', 'i can not wait', 'haha that is {good}', 'yay', 'you made my day',
    'it was {int} {good}', 'i am so {joyAdj} for you', 'you are {good}', 'i {love} you', 'we won', 'this is the best {noun} of my life',
    'that is {int} {good}, thank you', 'you are the best', 'look at this, it is {good}', 'i got the job', 'what a {good} surprise',
    'i {love} {target} so much', 'this made my day', 'i am having a {good} time', 'it was a {good} {noun}', 'haha', 'i am laughing so hard', 'you are so sweet',
    'i am so happy for you', 'cheers', 'let us celebrate', 'hooray', 'i passed the exam', 'she said yes', 'we are getting married', 'i got a raise', 'i feel {good}',
  ],
  sadness: [
    'i feel {int} {sadAdj}', 'i am {int} {sadAdj}', 'i {miss} {person}', 'i miss {person} so much', '{target} is gone', 'it hurts',
    'that is {int} {tragic}', 'i cried all night', 'nobody cares about me', 'nobody came', 'i am sorry for your loss', 'he passed away',
    'she left me', 'i wish {person} was here', 'everything is falling apart', 'i can not stop crying', 'i have no one', 'it is over',
    'i lost my job', 'i feel {sadAdj} without {person}', '{target} was {tragic}', 'why did it have to end', 'i am {int} {sadAdj} about {target}',
    'i failed again', 'i am so tired of everything', 'nothing will ever be the same', 'we lost {target}', 'it is {int} {tragic}',
    'i {int} miss {person}', 'i miss {target}', 'i am going to miss {person}', 'i miss the old days', 'i still miss {person}', 'i wish you were here',
    'my {pet} died', 'i lost my {pet}', 'she does not love me anymore', 'i am crying', 'i am in tears', 'i feel like crying', 'my heart is broken',
    'i will never forget {person}', 'no one understands me', 'it is all my fault', 'we broke up', 'i did not get the job', 'i feel so small', 'i am so {sadAdj} today',
  ],
  anger: [
    'i am {int} {angAdj}', 'i am {int} {angAdj} at {person}', 'i am {int} {angAdj} with {person}', 'this is {int} {bad}', '{target} is {bad}',
    'i {hate} {target}', 'i {hate} {person}', '{command}', 'how dare you', 'you never listen', 'you ruined {target}', 'you lied to me',
    'what is wrong with you', 'i have had enough', 'who do you think you are', 'this is your fault', 'do not talk to me like that', '{command}, this is {bad}',
    'you are {bad}', 'i told you a hundred times', 'are you kidding me', 'you always do this', 'that is {int} {bad}', '{command}, i am {angAdj}',
    'i am {angAdj} about {target}', 'damn it', 'you broke {target} again',
    'you are an {insult}', 'you {bad} {insult}', 'what the hell', 'i can not believe you did that', 'you did this on purpose', 'get your hands off me',
    'i will never forgive you', 'this is so unfair', 'why would you do that', 'answer me', 'do not ignore me', 'give it back', 'you make me sick', 'i am {angAdj} at you',
  ],
};
const OPENERS = words('|||oh|well|honestly|hey|look|you know|okay so|listen|i mean|man|{name}|hey {name}');
const SYLLABLES = words('ka|lo|mi|zu|ren|tar|vel|no|shi|bo|dra|quin|el|ya|gor|fen|ix|ta');
const ENDINGS: Record<Emotion, string[]> = { neutral: words('|.|.|?'), joy: words('|!|!|.'), sadness: words('|.|...|.'), anger: words('|!|!|.') };
/** Half the sentences are written with contractions, as people type. */
const CONTRACTIONS = [['i am', "i'm"], ['it is', "it's"], ['that is', "that's"], ['can not', "can't"], ['do not', "don't"], ['let us', "let's"], ['i will', "i'll"], ['what is', "what's"], ['you are', "you're"], ['i have', "i've"]] as const;
const EXPRESSION: Record<Emotion, string> = { neutral: 'neutral', joy: 'happy', sadness: 'sad', anger: 'angry' };
/** Pitch (Hz), loudness (0-1), syllable length (s) per class. */
const VOICE: Record<Emotion, { f0: number; gain: number; syllable: number }> = {
  neutral: { f0: 140, gain: 0.25, syllable: 0.2 },
  joy: { f0: 230, gain: 0.5, syllable: 0.14 },
  sadness: { f0: 105, gain: 0.1, syllable: 0.3 },
  anger: { f0: 180, gain: 0.8, syllable: 0.11 },
};

/** A sentence's tokens without punctuation, for comparing with {@link PROBES}. */
const key = (text: string) => tokenize(text).filter((t) => /[a-z0-9]/.test(t)).join(' ');
const PROBE_KEYS = new Set(PROBES.map(key));

/** Speech-like audio: harmonic syllables with gliding pitch around the class voice, pauses, a little noise. */
function voice(cls: Emotion, random: SeededRandom, rate = 16000, seconds = 1.6): Float32Array {
  const v = VOICE[cls];
  const x = new Float32Array(Math.round(rate * seconds));
  let t = 0.05;
  while (t < seconds - 0.2) {
    const length = v.syllable * (0.8 + 0.4 * random.next());
    const f0 = v.f0 * (0.85 + 0.3 * random.next());
    const glide = (random.next() - 0.5) * 0.4;
    const start = Math.round(t * rate);
    const n = Math.min(Math.round(length * rate), x.length - start);
    let phase = 0;
    for (let i = 0; i < n; i++) {
      const u = i / n;
      phase += (2 * Math.PI * f0 * (1 + glide * u)) / rate;
      let s = 0;
      for (let h = 1; h <= 8; h++) s += Math.sin(h * phase) / h;
      x[start + i] = v.gain * Math.sin(Math.PI * u) ** 2 * s * 0.5;
    }
    t += length + 0.03 + 0.08 * random.next();
  }
  for (let i = 0; i < x.length; i++) x[i] += 0.003 * (random.next() * 2 - 1);
  return x;
}

/** One utterance's text: an opener, one or two filled templates of the class, maybe contractions, an ending; never one of the probes. */
export function sentence(cls: Emotion, random: SeededRandom): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random.next() * xs.length)];
  // a made-up name: nearly always seen once, so not in the vocabulary; the model learns that unknown words say nothing
  const name = () => Array.from({ length: 3 + Math.floor(random.next() * 2) }, () => pick(SYLLABLES)).join('');
  const fill = (template: string) =>
    template.replace(/\{(\w+)\}/g, (_, slot: string) => (slot === 'name' ? name() : pick(SLOTS[slot]))).replace(/\s+/g, ' ').trim();
  for (;;) {
    const opener = fill(pick(OPENERS));
    let text = fill(pick(TEMPLATES[cls]));
    if (random.next() < 0.3) text += `${pick([', ', ' and ', '. '])}${fill(pick(TEMPLATES[cls]))}`;
    if (random.next() < 0.5) for (const [long, short] of CONTRACTIONS) text = text.replaceAll(long, short);
    text = `${opener ? `${opener}, ` : ''}${text}${pick(ENDINGS[cls])}`;
    if (!PROBE_KEYS.has(key(text))) return text;
  }
}

/** Rounds to 6 significant digits (float32 keeps about 7): a smaller file, the same model input within 1e-6. */
const compact = (v: Float32Array) => Array.from(v, (x) => Number(x.toPrecision(6)));

interface JsonlUtterance {
  speaker: string;
  text?: string;
  label: Emotion;
  features: { audio?: number[]; face?: number[] };
}

/** Which modalities an utterance has, with their shares: mostly typed text, as on the page, often with a face or a voice. */
const PATTERNS: [number, { text: boolean; audio: boolean; face: boolean }][] = [
  [0.35, { text: true, audio: false, face: false }],
  [0.2, { text: true, audio: false, face: true }],
  [0.15, { text: true, audio: true, face: false }],
  [0.25, { text: true, audio: true, face: true }],
  [0.05, { text: false, audio: true, face: true }],
];

/**
 * `count` synthetic dialogues of 2-6 utterances between two speakers. The mood changes at half the turns; 5% of the
 * texts, 20% of the voices and 20% of the faces come from another class, so no modality is perfect and the words are
 * the surest sign (as in real conversations, where text is the strongest modality).
 */
export function makeDialogues(count: number, seed: number, split: 'train' | 'dev' | 'test'): { id: string; split: string; utterances: JsonlUtterance[] }[] {
  const random = new SeededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random.next() * xs.length)];
  const other = (mood: Emotion, share: number) => (random.next() < share ? pick(CLASSES) : mood);
  return Array.from({ length: count }, (_, d) => {
    const length = 2 + Math.floor(random.next() * 5);
    let mood = pick(CLASSES);
    const utterances: JsonlUtterance[] = [];
    for (let u = 0; u < length; u++) {
      if (u > 0 && random.next() < 0.5) mood = pick(CLASSES);
      let r = random.next();
      const has = (PATTERNS.find(([share]) => (r -= share) < 0) ?? PATTERNS[0])[1];
      const features: JsonlUtterance['features'] = {};
      if (has.audio) features.audio = compact(extractAudioFeatures(voice(other(mood, 0.2), random), 16000).utteranceVector);
      if (has.face) features.face = compact(expressionVector(EXPRESSION[other(mood, 0.2)], 0.6 + 0.35 * random.next()));
      utterances.push({ speaker: u % 2 === 0 ? 'A' : 'B', ...(has.text ? { text: sentence(other(mood, 0.05), random) } : {}), label: mood, features });
    }
    return { id: `${split}-${d}`, split, utterances };
  });
}

/** The whole data set as dialogue JSON Lines text. */
export function demoJsonl(dialogues: number): string {
  const header = {
    format: 'emoje-dialogues',
    version: 1,
    name: 'web-demo-synthetic',
    classes: [...CLASSES],
    modalities: [
      { name: 'text', kind: 'text' },
      { name: 'audio', kind: 'vector', dim: 77 },
      { name: 'face', kind: 'vector', dim: 15 },
    ],
    license: 'MIT',
    source: 'synthetic, made by examples/web-demo/scripts/train-demo-model.ts',
  };
  const lines = [
    ...makeDialogues(dialogues, 1, 'train'),
    ...makeDialogues(Math.ceil(dialogues / 6), 2, 'dev'),
    ...makeDialogues(Math.ceil(dialogues / 6), 3, 'test'),
  ].map((d) => JSON.stringify(d));
  return [JSON.stringify(header), ...lines].join('\n') + '\n';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      epochs: { type: 'string', default: '10' },
      dialogues: { type: 'string', default: '360' },
      data: { type: 'string' },
      out: { type: 'string', default: new URL('../public/models/demo', import.meta.url).pathname },
    },
  });
  const dialogues = Number(values.dialogues);
  if (!Number.isInteger(dialogues) || dialogues < 6) throw new Error(`--dialogues: expected an integer of at least 6 (training dialogues; a sixth as many each for dev and test), got '${values.dialogues}'`);
  const temp = values.data ? null : await mkdtemp(join(tmpdir(), 'emoje-web-demo-'));
  const data = resolve(values.data ?? join(temp!, 'web-demo-synthetic.jsonl'));
  const out = resolve(values.out);
  try {
    await writeFile(data, demoJsonl(dialogues));
    console.log(`wrote ${data}`);
    const argv = ['--backend', 'wasm', 'train', '--dataset', data, '--out', out, '--epochs', values.epochs, '--seed', '7'];
    console.log(`$ emoje ${argv.join(' ')}`);
    const code = await runCli(['node', 'emoje', ...argv]);
    if (code !== 0) throw new Error(`emoje train exited with ${code}`);
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true });
  }
  await initBackend({ backend: 'wasm' });
  const model = await loadModel(out);
  console.log(`${model.countParams()} parameters, vocabulary of ${(model.config.modalities.find((m) => m.kind === 'tokens') as { vocabulary: string[] }).vocabulary.length} tokens`);
  console.log('typed sentences that are not in the data (text only):');
  for (const text of PROBES) {
    const [p] = await model.predict({ utterances: [{ speaker: 'A', features: { text } }] });
    console.log(`  ${JSON.stringify(text)} -> ${p.label} (${CLASSES.map((c) => `${c} ${(100 * p.probabilities[c]).toFixed(0)}%`).join(', ')})`);
  }
  model.dispose();
}
