// Reed-Solomon matrix algebra (see rs_math.h). The decode of e erasures:
// for chosen repair rows R and missing columns E, known columns K,
//   rep_R = C[R][E] s_E + C[R][K] s_K   (GF(2^8): + is XOR)
//   s_E   = A^-1 rep_R + A^-1 C[R][K] s_K, with A = C[R][E] (e x e).
// So the e x k decode matrix over inputs [s_K, rep_R] is [A^-1 C[R][K] | A^-1].
//
// A is itself a Cauchy matrix, A[t][c] = 1 / (x_t + y_c) with x_t = k + R_t
// and y_c = E_c, and so is C[R][K] (y_j = j), so both blocks have a closed
// form (partial fractions of sum_c w_c / (x + y_c), which in characteristic 2
// has no signs to track):
//   A^-1[i][t]           = alpha_i * gamma_t / (y_i + x_t)
//   (A^-1 C[R][K])[i][j] = alpha_i * beta_j / (y_i + y_j)
//   alpha_i = prod_t (y_i + x_t) / prod_{c != i} (y_i + y_c)
//   gamma_t = prod_c (x_t + y_c) / prod_{s != t} (x_t + x_s)
//   beta_j  = prod_c (y_j + y_c) / prod_t (y_j + x_t)
// Every factor is a nonzero field element (the x and y are distinct bytes and
// every x >= k > every y), so each product is a sum of logarithms: a plan costs
// O(e * (k + e)) table lookups instead of e * e * k gf_inv + gf_mul library calls
// and an e x e Gauss-Jordan elimination. The result is the same matrix (the
// inverse is unique and the arithmetic exact); rs_test.cc checks it against
// the ISA-L construction.
#include "fec/rs_math.h"

#include <isa-l/erasure_code.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <cstring>

#include "transport/base/bug.h"

namespace hitless::fec_internal {
namespace {

constexpr int kGfOrder = 255;  // multiplicative group of GF(2^8)
// exp[] is indexed by up to three logarithms added together (each < 255) so
// that no lookup needs a modulo.
constexpr int kExpSize = 3 * kGfOrder;

struct GfTables {
  std::array<uint8_t, kExpSize> exp{};
  std::array<uint8_t, 256> log{};  // log[0] is unused (0 has no logarithm)
};

// Powers of the generator 2 modulo x^8 + x^4 + x^3 + x^2 + 1 (0x11D): the
// field ISA-L's gf_mul works in.
constexpr GfTables MakeGfTables() {
  GfTables t;
  int v = 1;
  for (int i = 0; i < kGfOrder; ++i) {
    t.exp[i] = static_cast<uint8_t>(v);
    t.log[v] = static_cast<uint8_t>(i);
    v <<= 1;
    if (v & 0x100) v ^= 0x11D;
  }
  for (int i = kGfOrder; i < kExpSize; ++i) t.exp[i] = t.exp[i - kGfOrder];
  return t;
}

constexpr GfTables kGf = MakeGfTables();

// Logarithm of a nonzero field element.
inline int Log(int a) { return kGf.log[static_cast<size_t>(a)]; }

// v mod 255 in [0, 255), for v of either sign.
inline int ModOrder(int v) {
  v %= kGfOrder;
  return v < 0 ? v + kGfOrder : v;
}

// ec_init_tables expands each coefficient into gf_vect_mul_init's 32-byte
// table, one library call per coefficient: with the closed form that was most
// of a plan's cost. The 256 possible tables are expanded once and copied
// instead. The layout of ec_init_tables' output is ISA-L's business (other
// releases or kernels, e.g. GFNI ones, may use another), so the copy is used
// only if it reproduces ec_init_tables exactly, checked once per process.
constexpr int kTableBytes = 32;

struct MulTables {
  std::array<std::array<uint8_t, kTableBytes>, 256> by_coefficient{};
  bool matches_ec_init_tables = false;
};

void CopyTables(const MulTables& mt, int n, const uint8_t* coefficients, uint8_t* out) {
  for (int i = 0; i < n; ++i) {
    std::memcpy(out + static_cast<size_t>(i) * kTableBytes,
                mt.by_coefficient[coefficients[i]].data(), kTableBytes);
  }
}

MulTables MakeMulTables() {
  MulTables mt;
  for (int c = 0; c < 256; ++c)
    gf_vect_mul_init(static_cast<uint8_t>(c), mt.by_coefficient[c].data());
  // Every coefficient once, in two shapes (several full rows; a short odd
  // one) so that a layout depending on the row or on k shows as a mismatch.
  std::array<uint8_t, 256> coefficients;
  for (int c = 0; c < 256; ++c) coefficients[c] = static_cast<uint8_t>(c * 7 + 3);  // a permutation
  std::array<uint8_t, 256 * kTableBytes> want;
  std::array<uint8_t, 256 * kTableBytes> got;
  mt.matches_ec_init_tables = true;
  for (auto [k, rows] : {std::pair{64, 4}, {5, 3}}) {
    const size_t bytes = static_cast<size_t>(kTableBytes) * k * rows;
    ec_init_tables(k, rows, coefficients.data(), want.data());
    CopyTables(mt, k * rows, coefficients.data(), got.data());
    if (std::memcmp(want.data(), got.data(), bytes) != 0) mt.matches_ec_init_tables = false;
  }
  return mt;
}

const MulTables& GetMulTables() {
  static const MulTables tables = MakeMulTables();  // trivially destructible
  return tables;
}

// ec_init_tables(k, rows, coefficients, out), from the cached tables when
// they are known to give the same bytes.
void InitTables(int k, int rows, uint8_t* coefficients, uint8_t* out) {
  const MulTables& mt = GetMulTables();
  if (mt.matches_ec_init_tables) {
    CopyTables(mt, k * rows, coefficients, out);
  } else {
    ec_init_tables(k, rows, coefficients, out);
  }
}

}  // namespace

uint8_t GfMul(uint8_t a, uint8_t b) {
  if (a == 0 || b == 0) return 0;
  return kGf.exp[Log(a) + Log(b)];
}

uint8_t GfInv(uint8_t a) {
  if (a == 0) return 0;
  return kGf.exp[kGfOrder - Log(a)];
}

uint8_t CauchyCoefficient(int k, int r, int j) { return GfInv(static_cast<uint8_t>((k + r) ^ j)); }

void BuildRsEncodeTables(int k, int m, std::vector<uint8_t>& tables) {
  // k + m <= 255 bounds k x m by 127 x 128: the coefficients fit on the
  // stack, so a short block (closed by its deadline) allocates nothing once
  // `tables` has grown.
  std::array<uint8_t, 127 * 128> rows;
  if (k < 1 || m < 1 || k + m > 255) {
    // Validated by every caller (ValidateFecEncoderConfig); refuse rather
    // than write past `rows`.
    HITLESS_BUG("BuildRsEncodeTables: k + m must be <= 255");
    tables.clear();
    return;
  }
  for (int r = 0; r < m; ++r) {
    for (int j = 0; j < k; ++j) rows[static_cast<size_t>(r) * k + j] = CauchyCoefficient(k, r, j);
  }
  tables.resize(static_cast<size_t>(kTableBytes) * k * m);
  InitTables(k, m, rows.data(), tables.data());
}

RsDecodePlanner::RsDecodePlanner() {
  // The shared tables are built on first use; do it here rather than in the
  // first plan, which runs while packets wait.
  (void)GetMulTables();
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
  key_.clear();
  decode_size_ = 0;

  // The closed form below holds exactly when the Cauchy system is regular:
  // distinct x (repair rows), distinct y (missing columns), all x > all y.
  if (k < 1 || k > kMaxRsSymbols || static_cast<int>(repairs.size()) != e || e > k) return false;
  for (int c = 0; c < e; ++c) {
    if (missing[c] >= k || (c > 0 && missing[c] <= missing[c - 1])) return false;
  }
  std::bitset<256> seen;
  for (uint8_t r : repairs) {
    if (k + r > 255 || seen[r]) return false;
    seen[r] = true;
  }

  // Field points of the plan: x_t = k + repairs[t], y_c = missing[c].
  std::array<uint8_t, kMaxRsSymbols> x;
  for (int t = 0; t < e; ++t) x[t] = static_cast<uint8_t>(k + repairs[t]);
  const uint8_t* y = missing.data();
  std::array<int, kMaxRsSymbols> log_alpha;
  std::array<int, kMaxRsSymbols> log_gamma;
  for (int i = 0; i < e; ++i) {
    int v = 0;
    for (int t = 0; t < e; ++t) v += Log(y[i] ^ x[t]);
    for (int c = 0; c < e; ++c) {
      if (c != i) v -= Log(y[i] ^ y[c]);
    }
    log_alpha[i] = ModOrder(v);
  }
  for (int t = 0; t < e; ++t) {
    int v = 0;
    for (int c = 0; c < e; ++c) v += Log(x[t] ^ y[c]);
    for (int s = 0; s < e; ++s) {
      if (s != t) v -= Log(x[t] ^ x[s]);
    }
    log_gamma[t] = ModOrder(v);
  }

  const size_t dsize = static_cast<size_t>(e) * k;
  if (decode_.size() < dsize) decode_.resize(dsize);
  uint8_t* d = decode_.data();
  // Columns 0..k-e-1: known sources in ascending order; then e repair columns.
  // exp[] indices below are alpha + beta (or gamma) + (255 - log): < 3 * 255.
  int col = 0;
  size_t mi = 0;
  for (int j = 0; j < k; ++j) {
    if (mi < missing.size() && missing[mi] == j) {
      ++mi;
      continue;
    }
    const uint8_t yj = static_cast<uint8_t>(j);
    int v = 0;
    for (int c = 0; c < e; ++c) v += Log(yj ^ y[c]);
    for (int t = 0; t < e; ++t) v -= Log(yj ^ x[t]);
    const int log_beta = ModOrder(v);
    for (int i = 0; i < e; ++i) {
      d[static_cast<size_t>(i) * k + col] =
          kGf.exp[log_alpha[i] + log_beta + kGfOrder - Log(y[i] ^ yj)];
    }
    ++col;
  }
  for (int i = 0; i < e; ++i) {
    uint8_t* row = d + static_cast<size_t>(i) * k + col;
    for (int t = 0; t < e; ++t) {
      row[t] = kGf.exp[log_alpha[i] + log_gamma[t] + kGfOrder - Log(y[i] ^ x[t])];
    }
  }
  decode_size_ = dsize;

  const size_t tsize = static_cast<size_t>(kTableBytes) * k * e;
  if (tables_.size() < tsize) tables_.resize(tsize);
  InitTables(k, e, decode_.data(), tables_.data());

  key_.resize(key_size);
  key_[0] = static_cast<uint8_t>(k);
  key_[1] = static_cast<uint8_t>(e);
  std::copy(missing.begin(), missing.end(), key_.begin() + 2);
  std::copy(repairs.begin(), repairs.end(), key_.begin() + 2 + e);
  return true;
}

}  // namespace hitless::fec_internal
