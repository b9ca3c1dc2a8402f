"""One model loader for everything: resolve a name to a local HF directory, load model + tokenizer."""
