// Reed-Solomon matrix algebra (see rs_math.h). The decode of e erasures:
// for chosen repair rows R and missing columns E, known columns K,
//   rep_R = C[R][E] s_E + C[R][K] s_K   (GF(2^8): + is XOR)
//   s_E   = A^-1 rep_R + A^-1 C[R][K] s_K, with A = C[R][E] (e x e).
// So the e x k decode matrix over inputs [s_K, rep_R] is [A^-1 C[R][K] | A^-1]:
// an e x e inversion instead of ISA-L's usual k x k one.
#include "fec/rs_math.h"

#include <isa-l/erasure_code.h>

#include <algorithm>

namespace hitless::fec_internal {

uint8_t CauchyCoefficient(int k, int r, int j) {
  return gf_inv(static_cast<unsigned char>((k + r) ^ j));
}

void BuildRsEncodeTables(int k, int m, std::vector<uint8_t>& tables) {
  std::vector<uint8_t> rows(static_cast<size_t>(k) * m);
  for (int r = 0; r < m; ++r) {
    for (int j = 0; j < k; ++j) rows[static_cast<size_t>(r) * k + j] = CauchyCoefficient(k, r, j);
  }
  tables.resize(static_cast<size_t>(32) * k * m);
  ec_init_tables(k, m, rows.data(), tables.data());
}

bool RsDecodePlanner::Plan(int k, std::span<const uint8_t> missing,
                           std::span<const uint8_t> repairs) {
  const int e = static_cast<int>(missing.size());
  // Cache check: same block size and erasure pattern -> same tables.
  const size_t key_size = 2 + missing.size() + repairs.size();
  bool same = key_.size() == key_size && key_[0] == static_cast<uint8_t>(k) &&
              key_[1] == static_cast<uint8_t>(e) &&
              std::equal(missing.begin(), missing.end(), key_.begin() + 2) &&
              std::equal(repairs.begin(), repairs.end(), key_.begin() + 2 + e);
  if (same) return true;

  const size_t ee = static_cast<size_t>(e) * e;
  if (a_.size() < ee) {
    a_.resize(ee);
    a_inv_.resize(ee);
  }
  for (int i = 0; i < e; ++i) {
    for (int c = 0; c < e; ++c) a_[i * e + c] = CauchyCoefficient(k, repairs[i], missing[c]);
  }
  if (gf_invert_matrix(a_.data(), a_inv_.data(), e) != 0) {
    key_.clear();
    return false;
  }
  const size_t dsize = static_cast<size_t>(e) * k;
  if (decode_.size() < dsize) decode_.resize(dsize);
  // Columns 0..k-e-1: known sources in ascending order; then e repair columns.
  for (int i = 0; i < e; ++i) {
    uint8_t* row = decode_.data() + static_cast<size_t>(i) * k;
    int col = 0;
    size_t mi = 0;
    for (int j = 0; j < k; ++j) {
      if (mi < missing.size() && missing[mi] == j) {
        ++mi;
        continue;
      }
      uint8_t acc = 0;
      for (int t = 0; t < e; ++t) {
        acc ^= gf_mul(a_inv_[i * e + t], CauchyCoefficient(k, repairs[t], j));
      }
      row[col++] = acc;
    }
    for (int t = 0; t < e; ++t) row[col++] = a_inv_[i * e + t];
  }
  const size_t tsize = static_cast<size_t>(32) * k * e;
  if (tables_.size() < tsize) tables_.resize(tsize);
  ec_init_tables(k, e, decode_.data(), tables_.data());

  key_.resize(key_size);
  key_[0] = static_cast<uint8_t>(k);
  key_[1] = static_cast<uint8_t>(e);
  std::copy(missing.begin(), missing.end(), key_.begin() + 2);
  std::copy(repairs.begin(), repairs.end(), key_.begin() + 2 + e);
  return true;
}

}  // namespace hitless::fec_internal
