//! The instruction set a dense kernel runs: the baseline of the target (SSE2 on x86-64) or,
//! chosen at run time when the CPU has it, AVX. The kernels that have an AVX form
//! (`engine::sums`, `optimise::kernels`) do the same IEEE operations in the same order in both
//! forms — no fused multiply-add — so their results are the same to the bit; only the width of
//! the registers differs.

/// Which code a kernel runs: the baseline's or AVX's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Isa {
    Baseline,
    /// AVX, with the proof that this CPU has it: only [`Isa::best`] makes one, so calling an
    /// AVX kernel on this variant is sound.
    #[cfg(target_arch = "x86_64")]
    Avx(Detected),
}

/// The run-time check found AVX (private field: made only in this file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Detected(());

impl Isa {
    /// The widest this CPU runs.
    pub(crate) fn best() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx") {
                return Isa::Avx(Detected(()));
            }
        }
        Isa::Baseline
    }
}
