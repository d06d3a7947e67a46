#!/usr/bin/env python3
# Records Python's own fnmatch answers (the glob semantics pkg5's search
# uses) for generated patterns, bracket corners first, into
# fixtures/python/fnmatch-cases.json; test/ips/fnmatch.test.ts replays them.
import fnmatch, json, random, sys
random.seed(12)
alpha = list("ab]-[!^\\*?z") + ['é', '&', '~', '|']
salpha = list("ab]-[!^\\z") + ['é', '&', '_', '`']
fixed = ['[z-a]', '[]-a]', ']', '[]', '[!]', '[!]]', '[]]', '[a-]', '[-a]', '[!-a]', '[a-c-e]', '[b-a-c]', '[a-z-a]', '[\\]', '[\\-]', '[^a]', '[[]', '[&&]', '[a-bc-d]', '[!z-a]', '[z-a-b]', '[--]', '[---]', '[a--]', '*[!]', 'a[', '[*', '[?]', '[!!]']
cases = []
for p in fixed + [''.join(random.choice(alpha) for _ in range(random.randint(1, 7))) for _ in range(700)]:
    strings = set([''.join(random.choice(salpha) for _ in range(random.randint(0, 3))) for _ in range(12)])
    strings |= set(c for c in salpha)
    for s in sorted(strings):
        cases.append([p, s, fnmatch.fnmatchcase(s, p)])
json.dump({'python': sys.version.split()[0], 'cases': cases}, open('fixtures/python/fnmatch-cases.json', 'w'), ensure_ascii=False)
