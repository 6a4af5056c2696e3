import { quickstart } from './quickstart';

await quickstart({ epochs: Number(process.env.EPOCHS ?? 10) });
