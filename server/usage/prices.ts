/**
 * Prices per token in USD, for transcript lines that record no cost. Written
 * by scripts/refresh-prices.mjs; do not edit by hand: run
 * `node scripts/refresh-prices.mjs` (needs the network for LiteLLM) after
 * upgrading the @anthropic-ai/claude-code dev dependency.
 */
import type { PriceTable } from './pricing.js';

export const PRICE_TABLE: PriceTable = {
  "takenAt": "2026-11-29",
  "sources": [
    "LiteLLM model_prices_and_context_window.json (local copy ccusage-18.0.11-prefetched-litellm.json): 42 models",
    "the model catalog of @anthropic-ai/claude-code 2.1.330: 19 models LiteLLM lacks"
  ],
  "models": {
    "anthropic.claude-3-5-haiku-20241022-v1:0": {
      "input": 8e-7,
      "output": 0.000004,
      "cacheWrite": 0.000001,
      "cacheRead": 8e-8
    },
    "anthropic.claude-haiku-4-5-20251001-v1:0": {
      "input": 0.000001,
      "output": 0.000005,
      "cacheWrite": 0.00000125,
      "cacheRead": 1e-7
    },
    "anthropic.claude-haiku-4-5@20251001": {
      "input": 0.000001,
      "output": 0.000005,
      "cacheWrite": 0.00000125,
      "cacheRead": 1e-7
    },
    "anthropic.claude-3-5-sonnet-20240620-v1:0": {
      "input": 0.000003,
      "output": 0.000015,
      "cacheWrite": 0.00000375,
      "cacheRead": 3e-7,
      "above200k": {
        "input": 0.000006,
        "output": 0.00003,
        "cacheWrite": 0.0000075,
        "cacheRead": 6e-7
      }
    },
    "anthropic.claude-3-5-sonnet-20241022-v2:0": {
      "input": 0.000003,
      "output": 0.000015,
      "cacheWrite": 0.00000375,
      "cacheRead": 3e-7,
      "above200k": {
        "input": 0.000006,
        "output": 0.00003,
        "cacheWrite": 0.0000075,
        "cacheRead": 6e-7
      }
    },
    "anthropic.claude-3-7-sonnet-20240620-v1:0": {
      "input": 0.0000036,
      "output": 0.000018,
      "cacheWrite": 0.0000045,
      "cacheRead": 3.6e-7
    },
    "anthropic.claude-3-7-sonnet-20250219-v1:0": {
      "input": 0.000003,
      "output": 0.000015,
      "cacheWrite": 0.00000375,
      "cacheRead": 3e-7
    },
    "anthropic.claude-3-haiku-20240307-v1:0": {
      "input": 2.5e-7,
      "output": 0.00000125,
      "cacheWrite": 3.125e-7,
      "cacheRead": 2.5e-8
    },
    "anthropic.claude-3-opus-20240229-v1:0": {
      "input": 0.000015,
      "output": 0.000075,
      "cacheWrite": 0.00001875,
      "cacheRead": 0.0000015
    },
    "anthropic.claude-3-sonnet-20240229-v1:0": {
      "input": 0.000003,
      "output": 0.000015,
      "cacheWrite": 0.00000375,
      "cacheRead": 3e-7
    },
    "anthropic.claude-instant-v1": {
      "input": 8e-7,
      "output": 0.0000024
    },
    "anthropic.claude-opus-4-1-20250805-v1:0": {
      "input": 0.000015,
      "output": 0.000075,
      "cacheWrite": 0.00001875,
      "cacheRead": 0.0000015
    },
    "anthropic.claude-opus-4-20250514-v1:0": {
      "input": 0.000015,
      "output": 0.000075,
      "cacheWrite": 0.00001875,
      "cacheRead": 0.0000015
    },
    "anthropic.claude-opus-4-5-20251101-v1:0": {
      "input": 0.000005,
      "output": 0.000025,
      "cacheWrite": 0.00000625,
      "cacheRead": 5e-7
    },
    "anthropic.claude-opus-4-6-v1": {
      "input": 0.000005,
      "output": 0.000025,
      "cacheWrite": 0.00000625,
      "cacheRead": 5e-7
    },
    "anthropic.claude-opus-4-7": {
      "input": 0.000005,
      "output": 0.000025,
      "cacheWrite": 0.00000625,
      "cacheRead": 5e-7
    },
    "anthropic.claude-sonnet-4-6": {
      "input": 0.000003,
      "output": 0.000015,
      "cacheWrite": 0.00000375,
      "cacheRead": 3e-7
    },
    "anthropic.claude-sonnet-4-20250514-v1:0": {
      "input": 0.000003,
      "output": 0.000015,
      "cacheWrite": 0.00000375,
      "cacheRead": 3e-7,
      "above200k": {
        "input": 0.000006,
        "output": 0.0000225,
        "cacheWrite": 0.0000075,
        "cacheRead": 6e-7
      }
    },
    "anthropic.claude-sonnet-4-5-20250929-v1:0": {
      "input": 0.000003,
      "output": 0.000015,
      "cacheWrite": 0.00000375,
      "cacheRead": 3e-7,
      "above200k": {
        "input": 0.000006,
        "output": 0.0000225,
        "cacheWrite": 0.0000075,
        "cacheRead": 6e-7
      }
    },
    "anthropic.claude-v1": {
      "input": 0.000008,
      "output": 0.000024
    },
    "anthropic.claude-v2:1": {
      "input": 0.000008,
      "output": 0.000024
    },
    "claude-haiku-4-5-20251001": {
      "input": 0.000001,
      "output": 0.000005,
      "cacheWrite": 0.00000125,
      "cacheRead": 1e-7
    },
    "claude-haiku-4-5": {
      "input": 0.000001,
      "output": 0.000005,
      "cacheWrite": 0.00000125,
      "cacheRead": 1e-7
    },
    "claude-3-7-sonnet-20250219": {
      "input": 0.000003,
      "output": 0.000015,
      "cacheWrite": 0.00000375,
      "cacheRead": 3e-7
    },
    "claude-3-haiku-20240307": {
      "input": 2.5e-7,
      "output": 0.00000125,
      "cacheWrite": 3e-7,
      "cacheRead": 3e-8
    },
    "claude-3-opus-20240229": {
      "input": 0.000015,
      "output": 0.000075,
      "cacheWrite": 0.00001875,
      "cacheRead": 0.0000015
    },
    "claude-4-opus-20250514": {
      "input": 0.000015,
      "output": 0.000075,
      "cacheWrite": 0.00001875,
      "cacheRead": 0.0000015
    },
    "claude-4-sonnet-20250514": {
      "input": 0.000003,
      "output": 0.000015,
      "cacheWrite": 0.00000375,
      "cacheRead": 3e-7,
      "above200k": {
        "input": 0.000006,
        "output": 0.0000225,
        "cacheWrite": 0.0000075,
        "cacheRead": 6e-7
      }
    },
    "claude-sonnet-4-5": {
      "input": 0.000003,
      "output": 0.000015,
      "cacheWrite": 0.00000375,
      "cacheRead": 3e-7,
      "above200k": {
        "input": 0.000006,
        "output": 0.0000225,
        "cacheWrite": 0.0000075,
        "cacheRead": 6e-7
      }
    },
    "claude-sonnet-4-5-20250929": {
      "input": 0.000003,
      "output": 0.000015,
      "cacheWrite": 0.00000375,
      "cacheRead": 3e-7,
      "above200k": {
        "input": 0.000006,
        "output": 0.0000225,
        "cacheWrite": 0.0000075,
        "cacheRead": 6e-7
      }
    },
    "claude-sonnet-4-6": {
      "input": 0.000003,
      "output": 0.000015,
      "cacheWrite": 0.00000375,
      "cacheRead": 3e-7
    },
    "claude-sonnet-4-5-20250929-v1:0": {
      "input": 0.000003,
      "output": 0.000015,
      "cacheWrite": 0.00000375,
      "cacheRead": 3e-7,
      "above200k": {
        "input": 0.000006,
        "output": 0.0000225,
        "cacheWrite": 0.0000075,
        "cacheRead": 6e-7
      }
    },
    "claude-opus-4-1": {
      "input": 0.000015,
      "output": 0.000075,
      "cacheWrite": 0.00001875,
      "cacheRead": 0.0000015
    },
    "claude-opus-4-1-20250805": {
      "input": 0.000015,
      "output": 0.000075,
      "cacheWrite": 0.00001875,
      "cacheRead": 0.0000015
    },
    "claude-opus-4-20250514": {
      "input": 0.000015,
      "output": 0.000075,
      "cacheWrite": 0.00001875,
      "cacheRead": 0.0000015
    },
    "claude-opus-4-5-20251101": {
      "input": 0.000005,
      "output": 0.000025,
      "cacheWrite": 0.00000625,
      "cacheRead": 5e-7
    },
    "claude-opus-4-5": {
      "input": 0.000005,
      "output": 0.000025,
      "cacheWrite": 0.00000625,
      "cacheRead": 5e-7
    },
    "claude-opus-4-6": {
      "input": 0.000005,
      "output": 0.000025,
      "cacheWrite": 0.00000625,
      "cacheRead": 5e-7,
      "fast": 6
    },
    "claude-opus-4-6-20260205": {
      "input": 0.000005,
      "output": 0.000025,
      "cacheWrite": 0.00000625,
      "cacheRead": 5e-7,
      "fast": 6
    },
    "claude-opus-4-7": {
      "input": 0.000005,
      "output": 0.000025,
      "cacheWrite": 0.00000625,
      "cacheRead": 5e-7,
      "fast": 6
    },
    "claude-opus-4-7-20260416": {
      "input": 0.000005,
      "output": 0.000025,
      "cacheWrite": 0.00000625,
      "cacheRead": 5e-7,
      "fast": 6
    },
    "claude-sonnet-4-20250514": {
      "input": 0.000003,
      "output": 0.000015,
      "cacheWrite": 0.00000375,
      "cacheRead": 3e-7,
      "above200k": {
        "input": 0.000006,
        "output": 0.0000225,
        "cacheWrite": 0.0000075,
        "cacheRead": 6e-7
      }
    },
    "claude-3-5-sonnet-20241022": {
      "input": 0.000003,
      "output": 0.000015,
      "cacheWrite": 0.00000375,
      "cacheRead": 3e-7
    },
    "claude-3-5-haiku-20241022": {
      "input": 8e-7,
      "output": 0.000004,
      "cacheWrite": 0.000001,
      "cacheRead": 8e-8
    },
    "claude-3-5-sonnet": {
      "input": 0.000003,
      "output": 0.000015,
      "cacheWrite": 0.00000375,
      "cacheRead": 3e-7
    },
    "claude-3-7-sonnet": {
      "input": 0.000003,
      "output": 0.000015,
      "cacheWrite": 0.00000375,
      "cacheRead": 3e-7
    },
    "claude-mythos-5-1": {
      "input": 0.00001,
      "output": 0.00005,
      "cacheWrite": 0.0000125,
      "cacheRead": 2.5e-7
    },
    "claude-mythos-5-2": {
      "input": 0.000008,
      "output": 0.00004,
      "cacheWrite": 0.00001,
      "cacheRead": 2e-7
    },
    "claude-sonnet-4-0": {
      "input": 0.000003,
      "output": 0.000015,
      "cacheWrite": 0.00000375,
      "cacheRead": 3e-7
    },
    "claude-sonnet-5-5": {
      "input": 0.000002,
      "output": 0.00001,
      "cacheWrite": 0.0000025,
      "cacheRead": 1e-7
    },
    "claude-3-5-haiku": {
      "input": 8e-7,
      "output": 0.000004,
      "cacheWrite": 0.000001,
      "cacheRead": 8e-8
    },
    "claude-fable-5-1": {
      "input": 0.00001,
      "output": 0.00005,
      "cacheWrite": 0.0000125,
      "cacheRead": 2.5e-7
    },
    "claude-fable-5-2": {
      "input": 0.000008,
      "output": 0.00004,
      "cacheWrite": 0.00001,
      "cacheRead": 2e-7
    },
    "claude-haiku-5-5": {
      "input": 1e-7,
      "output": 5e-7,
      "cacheWrite": 1.25e-7,
      "cacheRead": 1e-8
    },
    "claude-mythos-5": {
      "input": 0.00001,
      "output": 0.00005,
      "cacheWrite": 0.0000125,
      "cacheRead": 0.000001
    },
    "claude-opus-4-0": {
      "input": 0.000015,
      "output": 0.000075,
      "cacheWrite": 0.00001875,
      "cacheRead": 0.0000015
    },
    "claude-opus-4-8": {
      "input": 0.000005,
      "output": 0.000025,
      "cacheWrite": 0.00000625,
      "cacheRead": 5e-7
    },
    "claude-opus-5-5": {
      "input": 0.000004,
      "output": 0.00002,
      "cacheWrite": 0.000005,
      "cacheRead": 2e-7
    },
    "claude-sonnet-5": {
      "input": 0.000002,
      "output": 0.00001,
      "cacheWrite": 0.0000025,
      "cacheRead": 2e-7
    },
    "claude-fable-5": {
      "input": 0.00001,
      "output": 0.00005,
      "cacheWrite": 0.0000125,
      "cacheRead": 0.000001
    },
    "claude-opus-5": {
      "input": 0.000005,
      "output": 0.000025,
      "cacheWrite": 0.00000625,
      "cacheRead": 5e-7
    }
  }
};
