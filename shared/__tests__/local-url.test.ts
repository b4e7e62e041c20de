import { localUrl } from '../http';

describe('localUrl: where this machine reaches a server bound to ONESOURCE_HOST', () => {
  it('is the bound address itself, in brackets for IPv6', () => {
    expect(localUrl('192.0.2.2', 4001, '/graphql')).toBe('http://192.0.2.2:4001/graphql');
    expect(localUrl('127.0.0.2', 4000, '/health')).toBe('http://127.0.0.2:4000/health');
    expect(localUrl('::1', 4000, '/graphql')).toBe('http://[::1]:4000/graphql');
  });

  it('is the loopback address for a server bound to every address', () => {
    expect(localUrl('0.0.0.0', 4000, '/graphql')).toBe('http://127.0.0.1:4000/graphql');
    expect(localUrl('::', 4000, '/graphql')).toBe('http://127.0.0.1:4000/graphql');
  });
});
