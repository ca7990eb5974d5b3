import { isMotoUp, startMoto } from './moto-server';

export default async function globalSetup(): Promise<void> {
  const given = process.env.MOTO_ENDPOINT;
  if (given && await isMotoUp(given)) {
    return;
  }
  const moto = await startMoto();
  process.env.MOTO_ENDPOINT = moto.endpoint;
  process.env.MOTO_PID_STARTED_BY_JEST = String(moto.process.pid);
  moto.process.unref();
}
