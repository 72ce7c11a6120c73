# Two entry points (see README): `make demo` runs the main job, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
APT_PACKAGES := bubblewrap docker.io busybox-static docker-registry gcc libc6-dev git python3.11 apache2-utils chromium
# the KFP v2 docker tests build their image from these (Debian's pip, venv's wheels, jq)
APT_PACKAGES += python3-pip python3.11-venv jq

.PHONY: demo test test-deps venv dev-venv kfplocal-venv lint bench clean

demo: venv
	$(BIN)/wfexec submit examples/hello-world.yaml --watch
	$(BIN)/wfexec logs @latest

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

dev-venv: $(VENV)/.dev-installed
$(VENV)/.dev-installed: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install -q -e '.[dev,docker,kube,s3]'
	touch $@

# kfp.local, KFP's own local runner, for the comparison tests and bench/kfp_v2.py: a venv of its own,
# so kfp's pins never meet the dev venv's.
KFP_LOCAL_VERSION := 2.17.3
kfplocal-venv: .venv-kfplocal/.installed
.venv-kfplocal/.installed:
	$(PYTHON) -m venv .venv-kfplocal
	.venv-kfplocal/bin/pip install -q 'kfp==$(KFP_LOCAL_VERSION)'
	touch $@

test-deps: dev-venv kfplocal-venv
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
	bash scripts/ensure-dockerd.sh

test: test-deps
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src/wfexec/engine src/wfexec/pod.py src/wfexec/runtimes src/wfexec/executors src/wfexec/warm
	$(BIN)/pytest -n 4 -p no:cacheprovider -ra $(PYTEST_ARGS)

lint: dev-venv
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src/wfexec/engine src/wfexec/pod.py src/wfexec/runtimes src/wfexec/executors src/wfexec/warm

bench: dev-venv kfplocal-venv
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
