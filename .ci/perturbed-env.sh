# Source this file to move TensorFlow and NumPy onto another kernel path, one that any x86-64
# machine can produce: a stand-in for "the same notebook on another reader's CPU".
#   source .ci/perturbed-env.sh
# Each switch alone changes the weights of a default training run (measured, see the README's
# section on reproducibility); outputs that survive all of them at once are portable.
# Python: $PYTHON if set, else the project's .venv if present, else python3 on PATH.
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
# oneDNN's GEMMs (TensorFlow uses them even with TF_ENABLE_ONEDNN_OPTS=0): SSE4.1 only.
export ONEDNN_MAX_CPU_ISA=SSE41
# XLA-compiled train steps: SSE4.2 only.
export XLA_FLAGS="--xla_cpu_max_isa=SSE4_2"
# NumPy's SIMD dispatch (exp, log, ...): the x86-64-v2 baseline only. Naming a feature the CPU
# lacks is harmless; AVX2 and FMA3 are named too for CPUs where x86-64-v3 is not detected whole.
export NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4 AVX512_ICL AVX512_SPR AVX512F AVX512_SKX AVX2 FMA3"
# TensorFlow's oneDNN custom operations: the opposite of what this CPU gets by default
# (TensorFlow switches them on by itself on some CPUs, e.g. Intel Xeons with AVX-512, and
# says so on stderr when it does).
if env -u TF_ENABLE_ONEDNN_OPTS TF_CPP_MIN_LOG_LEVEL=0 "$PYTHON" -c "import tensorflow" 2>&1 \
        | grep -q "oneDNN custom operations are on"; then
    export TF_ENABLE_ONEDNN_OPTS=0
else
    export TF_ENABLE_ONEDNN_OPTS=1
fi
echo "perturbed kernel path: ONEDNN_MAX_CPU_ISA=$ONEDNN_MAX_CPU_ISA XLA_FLAGS=$XLA_FLAGS" \
    "TF_ENABLE_ONEDNN_OPTS=$TF_ENABLE_ONEDNN_OPTS NPY_DISABLE_CPU_FEATURES='$NPY_DISABLE_CPU_FEATURES'" >&2
