"""Data-quality validation. `gx_validation` is the one module that runs Great Expectations;
import it lazily (it imports GX only on first use, ≈ 3 s)."""
