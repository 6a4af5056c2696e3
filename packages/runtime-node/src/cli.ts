#!/usr/bin/env node
import './register-routers';
import { runCli } from './program';

void runCli(process.argv).then((code) => {
  process.exitCode = code;
});
