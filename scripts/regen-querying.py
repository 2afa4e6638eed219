#!/usr/bin/env python3
"""Reruns every ```sql example of docs/querying.md against a results database
with the sqlite3 shell (-readonly -box) and writes each output into the ```text
block that follows it. Usage: python3 scripts/regen-querying.py [results/prunelab.sqlite]"""
import re, subprocess, sys

db = sys.argv[1] if len(sys.argv) > 1 else 'results/prunelab.sqlite'
path = 'docs/querying.md'
text = open(path).read()
pattern = re.compile(r'(```sql\n)(.*?)(```\n\n```text\n)(.*?)(```)', re.S)

def rerun(m):
    out = subprocess.run(['sqlite3', '-readonly', '-box', db], input=m.group(2), capture_output=True, text=True, check=True).stdout
    return m.group(1) + m.group(2) + m.group(3) + out + m.group(5)

new, n = pattern.subn(rerun, text)
open(path, 'w').write(new)
print(f'{n} example(s) rerun against {db}')
