import { InvalidArgumentError } from 'commander';

/** A commander argument parser for an integer >= `min`, naming the option in its error. */
export function parseInteger(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
    return n;
  };
}
