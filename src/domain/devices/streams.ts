/** One device authorization: its request and the person's answer. */
export const deviceStream = (deviceId: string) => `device-${deviceId}`;
