/** Running the command line in a test environment (src/platform/app/testing.ts createTestEnvironment). */
import { captureIo } from '../app/testing.js';
import { runCli } from './main.js';

/** `trustdesk …` with the environment's settings: its exit code and everything it printed, in order. */
export function cliIn(environment: { env: NodeJS.ProcessEnv }): (args: string[]) => Promise<{ code: number; text: string }> {
  return async (args) => {
    const cap = captureIo(environment.env);
    const code = await runCli(args, cap.io);
    return { code, text: cap.text() };
  };
}
