// Runs before every test file. Many tests run the emulator synchronously
// for seconds at a time; vitest awaits between tests with microtasks only,
// so several such tests in a row can keep the worker from reading its RPC
// replies until their 60-second timeout fires ("Timeout calling
// onTaskUpdate"). One macrotask turn before each test lets the replies in.
import { beforeEach } from "vitest";

beforeEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
