#include "common/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace liaison::bench {

std::size_t histogram::bucket_of(std::uint64_t value) {
  constexpr std::uint64_t linear = 1u << sub_bits;
  if (value < linear) return static_cast<std::size_t>(value);
  const int exponent = 63 - std::countl_zero(value);  // >= sub_bits
  const std::uint64_t sub = (value >> (exponent - sub_bits)) & (linear - 1);
  return (static_cast<std::size_t>(exponent - sub_bits + 1) << sub_bits) +
         static_cast<std::size_t>(sub);
}

std::uint64_t histogram::upper_bound_of(std::size_t bucket) {
  constexpr std::size_t linear = 1u << sub_bits;
  if (bucket < linear) return bucket;
  const int exponent = static_cast<int>(bucket >> sub_bits) + sub_bits - 1;
  const std::uint64_t sub = bucket & (linear - 1);
  const int shift = exponent - sub_bits;
  const std::uint64_t lower = (linear + sub) << shift;
  return lower + ((std::uint64_t{1} << shift) - 1);
}

void histogram::record(std::uint64_t value) {
  ++counts_[bucket_of(value)];
  ++count_;
  sum_ += value;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void histogram::merge(const histogram& other) {
  for (std::size_t i = 0; i < bucket_count; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

std::uint64_t histogram::quantile(double p) const {
  if (count_ == 0) return 0;
  const auto rank =
      static_cast<std::uint64_t>(std::ceil(std::clamp(p, 0.0, 1.0) * static_cast<double>(count_)));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < bucket_count; ++i) {
    seen += counts_[i];
    if (seen >= std::max<std::uint64_t>(rank, 1)) return std::min(upper_bound_of(i), max_);
  }
  return max_;
}

}  // namespace liaison::bench
