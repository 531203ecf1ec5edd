# junheng — the two commands a new machine needs: `make demo` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_PERIOD ?= 2026-10
DEMO_DIR ?= data/demo

.PHONY: setup demo test lint unit clean browser bench

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	@touch $(STAMP)

# Three months of a 24-school demo county: two earlier months for trends, then the main month with
# two broken returns (rejected with feedback) and the county's own return (for the 31-indicator overview).
DEMO_EARLIER ?= 2026-08 2026-09
demo: setup
	rm -rf $(DEMO_DIR)
	@for p in $(DEMO_EARLIER); do \
	  $(BIN)/junheng demo-data $(DEMO_DIR)/inbox/$$p --schools 24 --period $$p --drift 0.08 >/dev/null && \
	  $(BIN)/junheng run --period $$p --inbox $(DEMO_DIR)/inbox/$$p --data-dir $(DEMO_DIR) >/dev/null || exit 1; \
	  echo "已处理演示报表期 $$p"; \
	done
	$(BIN)/junheng demo-data $(DEMO_DIR)/inbox/$(DEMO_PERIOD) --schools 24 --period $(DEMO_PERIOD) --drift 0.08 \
	  --broken --county-return
	$(BIN)/junheng run --period $(DEMO_PERIOD) --inbox $(DEMO_DIR)/inbox/$(DEMO_PERIOD) --data-dir $(DEMO_DIR)
	@# A small city (issue 15): three counties of the 玉溪 plan over the same three months, 6 schools each.
	$(BIN)/python -m tasks.demo.city $(DEMO_DIR)/city $(DEMO_EARLIER) $(DEMO_PERIOD)
	$(BIN)/junheng city run --plan yuxi-2023 --from $(firstword $(DEMO_EARLIER)) --period $(DEMO_PERIOD) \
	  --data-dir $(DEMO_DIR)/city

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# What the output checks need, installed with apt-get only when missing: headless Chromium and a CJK
# font for the HTML report check (tests/e2e/test_county_report.py), LibreOffice and poppler to print
# every generated workbook to PDF (tests/e2e/test_outputs_for_people.py). Without them those tests
# fail in CI and skip locally.
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/soffice ] && [ -x /usr/bin/pdftotext ] \
	  && fc-list 2>/dev/null | grep -qiE "wqy|noto sans cjk"; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium fonts-wqy-microhei libreoffice-calc-nogui poppler-utils \
	  || echo "chromium / LibreOffice 安装失败：报告的浏览器和打印检查将失败（CI）或跳过（本机）"; \
	else echo "请安装 chromium、fonts-wqy-microhei、libreoffice-calc-nogui 和 poppler-utils（需要 root）：报告的浏览器和打印检查将失败（CI）或跳过（本机）"; fi

test: setup lint browser
	PREFECT_HOME=$(CURDIR)/.pytest-prefect $(BIN)/python -m pytest

# Benchmark (not a test), bench/README.md: the parsing limit, junheng end to end and the naive pipeline at N;
# a county's rerun with and without a local Prefect server; a province month (COUNTIES × 200 schools, returns
# with findings, and the same without for the findings cost) through one command.
N ?= 2000
COUNTIES ?= 100
bench: setup
	$(BIN)/python -m bench.run --n $(N)
	$(BIN)/python -m bench.county_rerun
	$(BIN)/python -m bench.province --counties $(COUNTIES) --schools 200
	$(BIN)/python -m bench.province --counties $(COUNTIES) --schools 200 --clean --skip-naive

clean:
	rm -rf data .pytest-prefect .pytest_cache .mypy_cache .ruff_cache
