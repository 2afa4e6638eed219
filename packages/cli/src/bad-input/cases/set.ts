import { BASE, run, sweepText, type BadInput } from '../case.js';

const base = sweepText(BASE);

/** `--set path=value` overrides: typed as YAML, applied before validation. */
export const setCases: BadInput[] = [
  {
    name: '--set without =',
    setup: base,
    args: run('--set', 'train.lr'),
    message: /--set: --set expects path=value \(got "train\.lr"\)\. Example: --set train\.lr=0\.01/,
  },
  { name: '--set with an empty path', setup: base, args: run('--set', '=3'), message: /--set expects path=value \(got "=3"\)/ },
  { name: '--set with only dots for a path', setup: base, args: run('--set', '...=3'), message: /empty --set path/ },
  { name: '--set an empty string', setup: base, args: run('--set', ''), message: /--set expects path=value/ },
  { name: '--set a number as text', setup: base, args: run('--set', 'train.epochs=two'), message: /train\.epochs: .*\(got "two"\)/ },
  { name: '--set an unknown key', setup: base, args: run('--set', 'trian.lr=0.1'), message: /unknown key "trian"/ },
  { name: '--set a misspelt nested key', setup: base, args: run('--set', 'train.lrr=0.1'), message: /train: unknown key "lrr"/ },
  { name: '--set train.epochs=1e12', setup: base, args: run('--set', 'train.epochs=1e12'), message: /train\.epochs: .*\(got 1000000000000\)/ },
  { name: '--set train.batchSize=1e15', setup: base, args: run('--set', 'train.batchSize=1e15'), message: /train\.batchSize: / },
  { name: '--set seeds to a negative list', setup: base, args: run('--set', 'seeds=[-1]'), message: /seeds\[0\]: .*\(got -1\)/ },
  { name: '--set seeds to a string', setup: base, args: run('--set', 'seeds=all'), message: /seeds: .*\(got "all"\)/ },
  {
    name: '--set duplicate sparsities',
    setup: base,
    args: run('--set', 'prune.sparsities=[0.9, 0.9]'),
    message: /prune\.sparsities\[1\]: sparsity 0\.9 is listed twice/,
  },
  { name: '--set a sparsity past the end of the list', setup: base, args: run('--set', 'prune.sparsities[5]=0.95'), message: /prune\.sparsities\[2\]: / },
  { name: '--set an unclosed list', setup: base, args: run('--set', 'prune.sparsities=[0.5,'), message: /prune\.sparsities: .*\(got "\[0\.5,"\)/ },
  {
    name: '--set a YAML tag',
    setup: base,
    args: run('--set', 'scorer=!!python/name:os.system'),
    message: /--set: unknown YAML tag !!python\/name:os\.system \(got "scorer=!!python\/name:os\.system"\)\. Remove the tag/,
  },
  {
    name: '--set the sweep name to a path',
    setup: base,
    args: run('--set', 'name=../../escaped'),
    message: /name: use letters, digits.*\(got "\.\.\/\.\.\/escaped"\)/,
  },
  {
    name: '--set __proto__ (prototype pollution)',
    setup: base,
    args: run('--set', '__proto__.polluted=1'),
    message: /--set: "__proto__" cannot be a config key|"__proto__" cannot be a config key/,
  },
  { name: '--set constructor.prototype', setup: base, args: run('--set', 'constructor.prototype.polluted=1'), message: /"constructor" cannot be a config key/ },
  { name: '--set extends (resolved before overrides)', setup: base, args: run('--set', 'extends=other.yaml'), message: /--set cannot change extends/ },
  { name: '--set an unknown dataset', setup: base, args: run('--set', 'dataset.name=imagenet'), message: /unknown dataset "imagenet"/ },
  { name: '--set a grid axis with no values', setup: base, args: run('--set', 'grid.seed=[]'), message: /grid\.seed: / },
  {
    name: '--set a perLayer layer the model lacks',
    setup: base,
    args: run('--set', 'prune.scope={perLayer: {dense4: 0.5}}'),
    message: /prune\.scope\.perLayer\.dense4: the model has no prunable layer "dense4"/,
  },
];
