// A latency histogram with logarithmic buckets (32 per power of two, so a
// reported value is within ~3% of the true one), constant memory whatever
// the number of samples. One per thread; merge() combines them at the end.
#pragma once

#include <array>
#include <cstdint>

namespace liaison::bench {

class histogram {
 public:
  // Records one value (nanoseconds, or any non-negative integer).
  void record(std::uint64_t value);
  void merge(const histogram& other);

  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  std::uint64_t min() const { return count_ == 0 ? 0 : min_; }
  double mean() const {
    return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_);
  }
  // The upper bound of the bucket holding the p-th quantile (0 < p <= 1),
  // never above max(); 0 when empty.
  std::uint64_t quantile(double p) const;

 private:
  static constexpr int sub_bits = 5;
  static constexpr std::size_t bucket_count = 64u << sub_bits;
  static std::size_t bucket_of(std::uint64_t value);
  static std::uint64_t upper_bound_of(std::size_t bucket);

  std::array<std::uint64_t, bucket_count> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
};

}  // namespace liaison::bench
