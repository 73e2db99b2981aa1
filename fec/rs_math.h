// Reed-Solomon over GF(2^8) through ISA-L: the systematic Cauchy code of
// gf_gen_cauchy1_matrix (source rows = identity, repair row r of a (k, m)
// block = [1 / ((k + r) ^ j)]_j), encode tables per (k, m), and decode plans
// that build the decode matrix of the erased sources in closed form.
//
// State: RsDecodePlanner keeps its scratch (grown to the largest plan seen,
// never shrunk) and the tables of the last erasure pattern, so a steady loss
// pattern is re-planned for free and decoding never allocates per packet.
// Shared, read-only: GF(2^8) log/antilog tables (compile time) and ISA-L's 256
// per-coefficient multiply tables (built once, on first use).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace hitless::fec_internal {

inline constexpr int kMaxRsSymbols = 255;

// GF(2^8) with ISA-L's polynomial 0x11D, from log/antilog tables computed at
// compile time: the same results as ISA-L's gf_mul / gf_inv without a call
// into the library per element. GfInv(0) is 0, as gf_inv(0).
uint8_t GfMul(uint8_t a, uint8_t b);
uint8_t GfInv(uint8_t a);

// Coefficient of source j (0-based) in repair r of a block of k sources.
uint8_t CauchyCoefficient(int k, int r, int j);

// Writes the ISA-L encode tables (32 * k * m bytes) for the m repair rows of a
// (k, m) block into `tables` (resized). Requires 1 <= k, 1 <= m, k + m <= 255.
void BuildRsEncodeTables(int k, int m, std::vector<uint8_t>& tables);

// Inputs of a decode, in order: the known sources (ascending index), then the
// chosen repairs; outputs: the missing sources (ascending index).
class RsDecodePlanner {
 public:
  RsDecodePlanner();

  // Plans the recovery of `missing` (e strictly ascending indices < k) from
  // `repairs` (e distinct repair indices, k + index <= 255) and the other
  // k - e sources of a block of k. Returns false if the system is singular,
  // which for a Cauchy code means the arguments broke those preconditions
  // (reported as a bug by the caller). On success tables() holds the ISA-L
  // tables (32 * k * e bytes) of decode_matrix().
  bool Plan(int k, std::span<const uint8_t> missing, std::span<const uint8_t> repairs);
  uint8_t* tables() { return tables_.data(); }

  // The e x k decode matrix of the last successful plan, row-major: row i
  // rebuilds missing[i] from the inputs in the order described above.
  std::span<const uint8_t> decode_matrix() const {
    return std::span<const uint8_t>(decode_.data(), decode_size_);
  }

 private:
  std::vector<uint8_t> key_;  // k, e, missing..., repairs... of the cached plan
  std::vector<uint8_t> tables_;
  std::vector<uint8_t> decode_;  // e x k decode matrix (capacity: largest seen)
  size_t decode_size_ = 0;       // e * k of the cached plan
};

}  // namespace hitless::fec_internal
