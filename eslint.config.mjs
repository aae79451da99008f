import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The engine's floors, bottom to top. A file may import its own floor and
// those below; never one above. The pure floors (up to core and discovery)
// also import no socket, timer or metrics code: I/O lives in io/.
const FLOORS = [
  'vocabulary',
  'codec',
  'state',
  'liveness',
  'core',
  'discovery',
  'messages',
  'io',
  'config',
];
const PURE = new Set(['vocabulary', 'codec', 'state', 'liveness', 'core', 'discovery', 'messages']);
const IO_MODULES = [
  'dgram',
  'net',
  'tls',
  'http',
  'https',
  'timers',
  'timers/promises',
  'dns',
  'dns/promises',
  'prom-client',
];
// core, discovery and messages sit side by side: none imports another.
const SIDE_BY_SIDE = ['core', 'discovery', 'messages'];
const ABOVE = (floor) => {
  const i = FLOORS.indexOf(floor);
  const above = FLOORS.slice(i + 1);
  if (!SIDE_BY_SIDE.includes(floor)) return above;
  const siblings = SIDE_BY_SIDE.filter((f) => f !== floor);
  return [...above.filter((f) => !siblings.includes(f)), ...siblings];
};
const floorRules = FLOORS.map((floor) => ({
  files: [`lib/engine/${floor}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: [
              ...ABOVE(floor).map((f) => `../${f}`),
              ...ABOVE(floor).map((f) => `../${f}/*`),
              '../gossip',
              '../views',
              '../index',
              '@nestjs/*',
            ],
            message: `lib/engine/${floor} sits below that floor: imports point down (see docs/protocol.md, "Code map").`,
          },
        ],
        paths: PURE.has(floor)
          ? IO_MODULES.flatMap((m) => [m, `node:${m}`]).map((name) => ({
              name,
              // Parsing an address is pure; opening a socket is not.
              ...(name.endsWith('net') ? { allowImportNames: ['isIP', 'isIPv4', 'isIPv6'] } : {}),
              message: `lib/engine/${floor} is pure: sockets, timers and metrics belong in lib/engine/io.`,
            }))
          : [],
      },
    ],
    ...(PURE.has(floor)
      ? {
          'no-restricted-globals': [
            'error',
            ...['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval'].map(
              (name) => ({
                name,
                message: 'Pure floors take time from the injected Clock.',
              }),
            ),
          ],
        }
      : {}),
  },
}));

export default tseslint.config(
  {
    ignores: [
      '.bench-build/**',
      '.nest12/**',
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'jest.config.js',
      'jest.sequencer.js',
      'eslint.config.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  ...floorRules,
  {
    files: ['lib/engine/**/*.ts'],
    ignores: FLOORS.map((f) => `lib/engine/${f}/**`),
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@nestjs/*'], message: 'The engine imports no Nest.' }] },
      ],
    },
  },
);
