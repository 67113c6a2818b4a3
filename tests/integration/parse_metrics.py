#!/usr/bin/python3
# Parses Prometheus text exposition from standard input with the reference parser
# (prometheus_client.parser, Debian python3-prometheus-client) and prints what it read as
# JSON: {"families": {name: type}, "samples": [[name, {label: value}, value], ...]}.
# A text the parser refuses exits 1 with its error.
import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families

try:
    families = {}
    samples = []
    for family in text_string_to_metric_families(sys.stdin.read()):
        families[family.name] = family.type
        for s in family.samples:
            value = s.value
            if math.isinf(value):
                value = "+Inf" if value > 0 else "-Inf"
            samples.append([s.name, s.labels, value])
except Exception as e:  # the parser raises ValueError and friends on malformed text
    print(f"not Prometheus text exposition: {e}", file=sys.stderr)
    sys.exit(1)
json.dump({"families": families, "samples": samples}, sys.stdout)
