// The process entry point: runs pgdest with this process's arguments.
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2));
