"""nonlin's PyTorch engine: a worker process that trains nonlin's model specs with torch.

Started by the Node side (src/exec/torch-engine.ts) as ``python3 -m nonlin_torch``; it speaks
protocol v2 of docs/engines.md on stdin/stdout.
"""

PROTOCOL_VERSION = 2
