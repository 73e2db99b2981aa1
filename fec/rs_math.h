// Reed-Solomon over GF(2^8) through ISA-L: the systematic Cauchy code of
// gf_gen_cauchy1_matrix (source rows = identity, repair row r of a (k, m)
// block = [1 / ((k + r) ^ j)]_j), encode tables per (k, m), and decode plans
// that solve only the e x e system of the erased sources.
//
// State: RsDecodePlanner keeps its scratch (grown to the largest plan seen,
// never shrunk) and the tables of the last erasure pattern, so a steady loss
// pattern is re-planned for free and decoding never allocates per packet.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace hitless::fec_internal {

inline constexpr int kMaxRsSymbols = 255;

// Coefficient of source j (0-based) in repair r of a block of k sources.
uint8_t CauchyCoefficient(int k, int r, int j);

// Writes the ISA-L encode tables (32 * k * m bytes) for the m repair rows of a
// (k, m) block into `tables` (resized). Requires 1 <= k, 1 <= m, k + m <= 255.
void BuildRsEncodeTables(int k, int m, std::vector<uint8_t>& tables);

// Inputs of a decode, in order: the known sources (ascending index), then the
// chosen repairs; outputs: the missing sources (ascending index).
class RsDecodePlanner {
 public:
  // Plans the recovery of `missing` (e indices) from `repairs` (e repair
  // indices < m) and the other k - e sources of a block of k. Returns false if
  // the system is singular (cannot happen for a Cauchy code; reported as a bug
  // by the caller). On success tables() holds 32 * k * e bytes.
  bool Plan(int k, std::span<const uint8_t> missing, std::span<const uint8_t> repairs);
  uint8_t* tables() { return tables_.data(); }

 private:
  std::vector<uint8_t> key_;  // k, e, missing..., repairs... of the cached plan
  std::vector<uint8_t> tables_;
  std::vector<uint8_t> a_;       // e x e: repair rows restricted to missing columns
  std::vector<uint8_t> a_inv_;   // its inverse
  std::vector<uint8_t> decode_;  // e x k decode matrix
};

}  // namespace hitless::fec_internal
