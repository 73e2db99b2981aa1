// MinHeap: a binary min-heap over a vector whose capacity is reserved up
// front, so push() never allocates while size() stays within it (the data
// path's timer and request queues: no malloc per packet). Ties pop in the
// order of operator< on T, as a std::set of the same T would iterate.
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <vector>

namespace hitless {

template <typename T>
class MinHeap {
 public:
  explicit MinHeap(size_t reserve = 0) { items_.reserve(reserve); }

  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  const T& top() const { return items_.front(); }  // requires !empty()
  void push(const T& item) {
    items_.push_back(item);
    std::push_heap(items_.begin(), items_.end(), std::greater<T>());
  }
  void pop() {  // requires !empty()
    std::pop_heap(items_.begin(), items_.end(), std::greater<T>());
    items_.pop_back();
  }
  void clear() { items_.clear(); }

 private:
  std::vector<T> items_;
};

}  // namespace hitless
