export default async function globalTeardown(): Promise<void> {
  const pid = process.env.MOTO_PID_STARTED_BY_JEST;
  if (pid) {
    try {
      process.kill(Number(pid));
    } catch {
      // already gone
    }
  }
}
