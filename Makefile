# astre — build, check and test entry points.
# `make` (or `make help`) lists the targets with their French descriptions.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

VENV   ?= .venv
ifeq ($(OS),Windows_NT)
PY     := $(VENV)/Scripts/python
else
PY     := $(VENV)/bin/python
endif
STAMP  := $(VENV)/.installed
PYTHON ?= python3

YEAR ?= $(shell date +%Y)
ID   ?=
# Extra arguments for `astre watch`, e.g. `make watch WATCH_ARGS=--polling` on a network share.
WATCH_ARGS ?=
# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="-k pdf"`.
PYTEST_ARGS ?=
# When 1, pytest's exit code 5 ("no tests collected") is not an error (used by CI
# while the test suite is still empty).
ALLOW_NO_TESTS ?= 0

# Debian packages. Runtime: WeasyPrint needs pango; libharfbuzz-subset0 gives it
# fast font subsetting (without it PDF rendering is 3-4x slower).
SYSDEPS      := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig
# Tests: LibreOffice (DOCX -> PDF), poppler-utils (pdffonts, pdftotext...) and
# fonts-liberation2 so LibreOffice finds Liberation Sans (the family shipped in
# templates/assets/fonts) instead of falling back to DejaVu.
# chromium: the browser tests of `astre serve` (Playwright drives Debian's browser, never its own download).
# The LibreOffice writer package is resolved at install time (nogui if it exists).
SYSDEPS_TEST := poppler-utils fonts-liberation2 chromium

# install_debs(packages): no-op when every package is installed; otherwise
# installs them as root, or prints the sudo command and fails.
define install_debs
missing=""; \
for p in $(1); do \
  case "$$p" in \
    libreoffice-writer*) \
      if dpkg-query -W -f='$${db:Status-Status}' libreoffice-writer-nogui 2>/dev/null | grep -qx installed \
         || dpkg-query -W -f='$${db:Status-Status}' libreoffice-writer 2>/dev/null | grep -qx installed; \
      then continue; fi ;; \
    *) \
      if dpkg-query -W -f='$${db:Status-Status}' "$$p" 2>/dev/null | grep -qx installed; then continue; fi ;; \
  esac; \
  missing="$$missing $$p"; \
done; \
if [ -z "$$missing" ]; then exit 0; fi; \
if [ "$$(id -u)" != 0 ]; then \
  echo "Paquets système manquants :$$missing" >&2; \
  echo "Installez-les avec :" >&2; \
  echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends$$missing" >&2; \
  exit 1; \
fi; \
echo ">> Installation des paquets système :$$missing"; \
apt-get update -qq; \
pkgs=""; \
for p in $$missing; do \
  if [ "$$p" = libreoffice-writer-nogui ] && ! apt-cache show libreoffice-writer-nogui >/dev/null 2>&1; then \
    p=libreoffice-writer; \
  fi; \
  pkgs="$$pkgs $$p"; \
done; \
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 $$pkgs
endef

.PHONY: python release sysdeps-node lock reference help venv sysdeps sysdeps-test docs check test watch serve status report financement new bench lint clean distclean

help: ## Afficher cette aide
	@echo "Usage : make <cible> [VARIABLE=valeur]"
	@echo
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) \
	  | awk 'BEGIN {FS = ":.*## "} {printf "  %-14s %s\n", $$1, $$2}'
	@echo
	@echo "Variables : YEAR=$(YEAR) (report), ID=<identifiant> (new), PYTEST_ARGS=... (test)"

# ---------------------------------------------------------------- environment

venv: python $(STAMP) ## Créer l'environnement Python (.venv) et installer astre

# Exact versions with hashes (requirements-dev.lock: the runtime lock plus the test and
# lint tools), then astre itself without resolving anything more.
PIP := $(PY) -m pip install --disable-pip-version-check --progress-bar off -q
# A Python older than 3.11 is said in French before anything is installed; a .venv made
# with one (or with a Python since removed) is rebuilt, not kept.
PY_OK    := import sys; sys.exit(sys.version_info < (3, 11))
PY_FOUND := import sys; print(sys.version.split()[0])
python:
	@if ! command -v $(PYTHON) >/dev/null 2>&1; then \
	  echo "Python introuvable (« $(PYTHON) »). Installez Python 3.11 ou plus, ou choisissez-le : make $(or $(MAKECMDGOALS),venv) PYTHON=python3.11" >&2; \
	  exit 1; fi
	@if ! $(PYTHON) -c '$(PY_OK)'; then \
	  echo "astre demande Python 3.11 ou plus ; « $(PYTHON) » est Python $$($(PYTHON) -c '$(PY_FOUND)')." >&2; \
	  echo "Choisissez un autre Python, par exemple : make $(or $(MAKECMDGOALS),venv) PYTHON=python3.11 (ou python3.12, python3.13)" >&2; \
	  exit 1; fi
	@if [ -d $(VENV) ] && ! $(PY) -c '$(PY_OK)' 2>/dev/null; then \
	  echo "Le dossier $(VENV) a été créé avec un Python trop ancien ou qui n'existe plus : il est refait." >&2; \
	  rm -rf $(VENV); fi

$(STAMP): pyproject.toml requirements-dev.lock generator/data/requirements.lock generator/data/pip.lock | python
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) --require-hashes -r generator/data/pip.lock
	$(PIP) --require-hashes -r requirements-dev.lock
	$(PIP) --no-deps --no-build-isolation -e .
	@touch $@

# uv resolves for every platform at once (--universal): a colleague on Windows gets
# colorama, which a lock made on Linux by pip-compile would leave out.
UV_COMPILE := $(VENV)/bin/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes
lock: $(STAMP) ## Passer aux dernières versions des bibliothèques (verrous régénérés, puis tests)
	$(UV_COMPILE) --upgrade --no-header pyproject.toml -o generator/data/requirements.lock
	$(UV_COMPILE) --upgrade --extra dev pyproject.toml -o requirements-dev.lock
	$(MAKE) test

sysdeps: ## Installer les paquets système nécessaires à la génération (pango, harfbuzz)
	@$(call install_debs,$(SYSDEPS))

sysdeps-test: ## Installer les paquets système nécessaires aux tests (LibreOffice, poppler, chromium)
	@$(call install_debs,libreoffice-writer-nogui $(SYSDEPS_TEST))

# ---------------------------------------------------------------- usage

docs: python sysdeps $(STAMP) ## Construire tous les documents des dossiers
	$(PY) -m generator build

check: python $(STAMP) ## Vérifier les dossiers
	$(PY) -m generator check

watch: sysdeps $(STAMP) ## Regénérer les documents à chaque modification (WATCH_ARGS=--polling sur un partage réseau)
	$(PY) -m generator watch $(WATCH_ARGS)

serve: sysdeps $(STAMP) ## Ouvrir l'espace de travail dans le navigateur (formulaires, documents, historique)
	$(PY) -m generator serve

status: $(STAMP) ## Afficher l'état des dossiers
	$(PY) -m generator status

report: $(STAMP) ## Produire le rapport annuel (YEAR=aaaa, année en cours par défaut)
	$(PY) -m generator report --year $(YEAR)

financement: $(STAMP) ## Produire l'état récapitulatif de financement (période du programme)
	$(PY) -m generator financement

secret: $(STAMP) ## Créer le secret des pseudonymes de l'export (.astre-salt), une fois par structure
	$(PY) -m generator secret

new: $(STAMP) ## Créer un nouveau dossier (ID=identifiant)
	@if [ -z "$(ID)" ]; then echo "Usage : make new ID=<identifiant>" >&2; exit 2; fi
	$(PY) -m generator new $(ID)

# ---------------------------------------------------------------- development

# yaml-language-server (the engine of VS Code's YAML extension) at the version of
# tests/editor/package-lock.json, for the editor tests.
EDITOR_TESTS := tests/editor/node_modules/.installed
$(EDITOR_TESTS): tests/editor/package-lock.json
	@command -v npm >/dev/null || $(MAKE) sysdeps-node
	npm ci --prefix tests/editor --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

sysdeps-node:
	@$(call install_debs,nodejs npm)

test: python sysdeps sysdeps-test $(STAMP) $(EDITOR_TESTS) ## Lancer les tests
	@if [ ! -d tests ] && [ "$(ALLOW_NO_TESTS)" = 1 ]; then \
	  echo "Pas de dossier tests/ (ALLOW_NO_TESTS=1) : aucun test lancé."; exit 0; \
	fi; \
	rc=0; $(PY) -m pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ] && [ "$(ALLOW_NO_TESTS)" = 1 ]; then \
	  echo "Aucun test collecté (ALLOW_NO_TESTS=1) : ignoré."; rc=0; \
	fi; \
	exit $$rc

bench: sysdeps $(STAMP) ## Mesurer les performances de génération
	$(PY) bench/run.py

# The release: the version of pyproject.toml, tagged once, from a clean tree; its wheel and
# sdist built with the pinned `build` (no isolation: the locked setuptools), then each one
# installed in a new .venv and tried (astre --version, astre init, astre check). The tag is
# made only when both work; push it with « git push origin v<version> ».
VERSION = $(shell $(PY) -c 'import generator; print(generator.__version__)')
RELEASE_DEPOT ?= $(shell git remote get-url origin 2>/dev/null)
release: python $(STAMP) ## Publier la version : étiquette v<version>, wheel et sdist construits et essayés
	@if [ -n "$$(git status --porcelain)" ]; then \
	  echo "Des modifications ne sont pas commitées (git status) : commitez-les avant de publier." >&2; exit 1; fi
	@if git rev-parse -q --verify "refs/tags/v$(VERSION)" >/dev/null; then \
	  echo "L'étiquette v$(VERSION) existe déjà : changez « version » dans pyproject.toml avant de publier." >&2; exit 1; fi
	rm -rf dist/ build/
	$(PY) -m build --no-isolation --outdir dist .
	$(PY) tests/release_check.py --depot "$(or $(RELEASE_DEPOT),https://example.invalid/astre.git)" \
	  dist/astre-$(VERSION)-py3-none-any.whl dist/astre-$(VERSION).tar.gz
	git tag -a "v$(VERSION)" -m "astre $(VERSION)"
	@echo "Étiquette v$(VERSION) créée ; publiez-la : git push origin v$(VERSION)"

reference: $(STAMP) ## Regénérer la référence des fichiers de dossier dans README.md (depuis schemas/)
	$(PY) -m generator.scaffold.docgen

lint: $(STAMP) ## Vérifier le style (ruff) et les types (mypy)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

clean: ## Supprimer les documents générés et les caches (garde .venv)
	rm -rf out/ .pytest_cache/ .mypy_cache/ .ruff_cache/ .astre-cache/ bench/_work/ build/ dist/
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +
	find . -maxdepth 2 -path ./$(VENV) -prune -o -type d -name '*.egg-info' -exec rm -rf {} +

distclean: clean ## Tout supprimer, y compris l'environnement .venv
	rm -rf $(VENV) tests/editor/node_modules
