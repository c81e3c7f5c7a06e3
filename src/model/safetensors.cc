#include "model/safetensors.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/error.h"

namespace bertc::model {
namespace {

using nlohmann::json;

// The reference implementation refuses headers above 100 MB; so do we (before allocating it).
constexpr uint64_t kMaxHeaderBytes = 100u * 1000u * 1000u;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "bertc's safetensors code assumes a little-endian host"
#endif

struct DtypeEntry {
  Dtype dtype;
  const char* name;
  size_t size;
};
constexpr DtypeEntry kDtypes[] = {
    {Dtype::kBool, "BOOL", 1}, {Dtype::kU8, "U8", 1},    {Dtype::kI8, "I8", 1},     {Dtype::kI16, "I16", 2},
    {Dtype::kU16, "U16", 2},   {Dtype::kF16, "F16", 2},  {Dtype::kBF16, "BF16", 2}, {Dtype::kI32, "I32", 4},
    {Dtype::kU32, "U32", 4},   {Dtype::kF32, "F32", 4},  {Dtype::kF64, "F64", 8},   {Dtype::kI64, "I64", 8},
    {Dtype::kU64, "U64", 8},
};

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

size_t DtypeSize(Dtype dtype) {
  for (const auto& e : kDtypes) {
    if (e.dtype == dtype) return e.size;
  }
  return 0;
}

const char* DtypeName(Dtype dtype) {
  for (const auto& e : kDtypes) {
    if (e.dtype == dtype) return e.name;
  }
  return "?";
}

Dtype DtypeFromName(std::string_view name) {
  for (const auto& e : kDtypes) {
    if (name == e.name) return e.dtype;
  }
  throw FormatError("unknown safetensors dtype '" + std::string(name) + "'");
}

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400u) == 0);
      bits = sign | (static_cast<uint32_t>(127 - 15 - e) << 23) | ((mant & 0x3ffu) << 13);
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float BFloat16ToFloat(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t FloatToBFloat16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if (std::isnan(f)) return static_cast<uint16_t>((bits >> 16) | 0x40u);
  const uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

uint16_t FloatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) return static_cast<uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // overflow to inf
  if (abs < 0x38800000u) {  // subnormal or zero in half
    if (abs < 0x33000000u) return sign;
    const uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
    const int shift = 126 - static_cast<int>(abs >> 23);  // 14..24
    const uint32_t half_mant = mant >> (shift);
    const uint32_t rem = mant & ((1u << shift) - 1u);
    const uint32_t halfway = 1u << (shift - 1);
    uint32_t r = half_mant;
    if (rem > halfway || (rem == halfway && (half_mant & 1u))) ++r;
    return static_cast<uint16_t>(sign | r);
  }
  uint32_t r = ((abs >> 13) - (112u << 10));
  const uint32_t rem = abs & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (r & 1u))) ++r;
  return static_cast<uint16_t>(sign | r);
}

SafetensorsFile SafetensorsFile::Open(const std::string& path) { return Parse(ReadFile(path), path); }

SafetensorsFile SafetensorsFile::Parse(std::string bytes, const std::string& source) {
  auto owned = std::make_shared<const std::string>(std::move(bytes));
  const std::string_view view(*owned);
  return ParseView(view, std::move(owned), source);
}

SafetensorsFile SafetensorsFile::Borrow(std::string_view bytes, const std::string& source) {
  return ParseView(bytes, nullptr, source);
}

SafetensorsFile SafetensorsFile::ParseView(std::string_view bytes, std::shared_ptr<const void> owner,
                                           const std::string& source) {
  SafetensorsFile out;
  out.source_ = source;
  const uint64_t file_size = bytes.size();
  auto fail = [&](const std::string& why) -> Error { return FormatError(source + ": " + why); };
  if (file_size < 8) throw fail("file too short for a safetensors header (" + std::to_string(file_size) + " bytes)");
  uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  if (header_len > kMaxHeaderBytes) throw fail("header length " + std::to_string(header_len) + " is too large");
  if (header_len > file_size - 8) {
    throw fail("header length " + std::to_string(header_len) + " runs past the end of the file (" +
               std::to_string(file_size) + " bytes): truncated or not a safetensors file");
  }
  json header;
  try {
    header = json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(header_len));
  } catch (const json::exception& e) {
    throw fail(std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) throw fail("header is not a JSON object");
  out.data_offset_ = 8 + static_cast<size_t>(header_len);
  const uint64_t data_size = file_size - out.data_offset_;

  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const json& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) throw fail("__metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) throw fail("__metadata__ value for '" + m.key() + "' is not a string");
        out.metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    if (!v.is_object()) throw fail("entry '" + name + "' is not an object");
    TensorInfo t;
    t.name = name;
    auto dt = v.find("dtype");
    if (dt == v.end() || !dt->is_string()) throw fail("tensor '" + name + "' has no dtype");
    try {
      t.dtype = DtypeFromName(dt->get<std::string>());
    } catch (const Error& e) {
      throw fail("tensor '" + name + "': " + e.what());
    }
    auto sh = v.find("shape");
    if (sh == v.end() || !sh->is_array()) throw fail("tensor '" + name + "' has no shape");
    uint64_t numel = 1;
    for (const auto& d : *sh) {
      if (!d.is_number_unsigned()) throw fail("tensor '" + name + "' has a negative or non-integer dimension");
      const uint64_t dim = d.get<uint64_t>();
      if (dim > (uint64_t{1} << 62) || (dim != 0 && numel > (uint64_t{1} << 62) / dim)) {
        throw fail("tensor '" + name + "' shape overflows");
      }
      numel *= dim;
      t.shape.push_back(static_cast<int64_t>(dim));
    }
    auto off = v.find("data_offsets");
    if (off == v.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
        !(*off)[1].is_number_unsigned()) {
      throw fail("tensor '" + name + "' has no valid data_offsets");
    }
    t.begin = (*off)[0].get<uint64_t>();
    t.end = (*off)[1].get<uint64_t>();
    if (t.begin > t.end || t.end > data_size) {
      throw fail("tensor '" + name + "' data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
                 "] lie outside the " + std::to_string(data_size) + "-byte data area (truncated file?)");
    }
    const uint64_t elem = DtypeSize(t.dtype);
    if (numel > std::numeric_limits<uint64_t>::max() / elem || t.end - t.begin != numel * elem) {
      throw fail("tensor '" + name + "' holds " + std::to_string(t.end - t.begin) + " bytes but " +
                 DtypeName(t.dtype) + " " + ShapeString(t.shape) + " needs " + std::to_string(numel * elem));
    }
    out.tensors_.push_back(std::move(t));
  }
  std::sort(out.tensors_.begin(), out.tensors_.end(), [](const TensorInfo& a, const TensorInfo& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t cursor = 0;
  for (size_t i = 0; i < out.tensors_.size(); ++i) {
    const TensorInfo& t = out.tensors_[i];
    if (t.begin < cursor) {
      throw fail("tensor '" + t.name + "' overlaps tensor '" + out.tensors_[i - 1].name + "'");
    }
    if (t.begin > cursor) throw fail("data area has a hole before tensor '" + t.name + "'");
    cursor = t.end;
    out.index_[t.name] = i;
  }
  if (cursor != data_size) {
    throw fail("tensors cover " + std::to_string(cursor) + " of " + std::to_string(data_size) +
               " data bytes (trailing garbage or missing tensors)");
  }
  out.owner_ = std::move(owner);
  out.bytes_ = bytes;
  return out;
}

const TensorInfo* SafetensorsFile::Find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

std::string_view SafetensorsFile::Bytes(const TensorInfo& t) const {
  return bytes_.substr(data_offset_ + t.begin, static_cast<size_t>(t.end - t.begin));
}

std::vector<float> SafetensorsFile::ToFloat32(const TensorInfo& t) const {
  const std::string_view raw = Bytes(t);
  const size_t n = static_cast<size_t>(t.numel());
  std::vector<float> out(n);
  switch (t.dtype) {
    case Dtype::kF32:
      if (n) std::memcpy(out.data(), raw.data(), n * 4);
      break;
    case Dtype::kF64:
      for (size_t i = 0; i < n; ++i) {
        double d;
        std::memcpy(&d, raw.data() + i * 8, 8);
        out[i] = static_cast<float>(d);
      }
      break;
    case Dtype::kF16:
    case Dtype::kBF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, raw.data() + i * 2, 2);
        out[i] = t.dtype == Dtype::kF16 ? HalfToFloat(h) : BFloat16ToFloat(h);
      }
      break;
    default:
      throw FormatError(source_ + ": tensor '" + t.name + "' has dtype " + DtypeName(t.dtype) +
                        ", expected a floating-point dtype (F32, F16, BF16, F64)");
  }
  return out;
}

void WriteSafetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  AtomicFileSet set;
  WriteSafetensors(&set, path, tensors, metadata);
  set.Commit();
}

void WriteSafetensors(AtomicFileSet* set, const std::string& path, const std::vector<TensorToWrite>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::vector<const TensorToWrite*> order;
  order.reserve(tensors.size());
  for (const auto& t : tensors) order.push_back(&t);
  std::sort(order.begin(), order.end(), [](const auto* a, const auto* b) { return a->name < b->name; });
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    const TensorToWrite& t = *order[i];
    if (i > 0 && order[i - 1]->name == t.name) throw InvalidArgument("duplicate tensor name '" + t.name + "'");
    if (t.name == "__metadata__") throw InvalidArgument("'__metadata__' is not a valid tensor name");
    uint64_t numel = 1;
    for (int64_t d : t.shape) {
      if (d < 0) throw InvalidArgument("tensor '" + t.name + "' has a negative dimension");
      numel *= static_cast<uint64_t>(d);
    }
    if (numel * DtypeSize(t.dtype) != t.nbytes || (t.nbytes > 0 && t.data == nullptr)) {
      throw InvalidArgument("tensor '" + t.name + "': " + std::to_string(t.nbytes) + " bytes given for " +
                            DtypeName(t.dtype) + " " + ShapeString(t.shape));
    }
    header[t.name] = {{"dtype", DtypeName(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.nbytes}}};
    offset += t.nbytes;
  }
  std::string head = header.dump();
  head.append((8 - head.size() % 8) % 8, ' ');
  const uint64_t head_len = head.size();
  set->Add(path, [&](std::FILE* f) {
    char len[8];
    std::memcpy(len, &head_len, 8);
    auto put = [&](const void* p, size_t n) {
      if (n > 0 && std::fwrite(p, 1, n, f) != n) throw IoError("cannot write '" + path + "' (disk full?)");
    };
    put(len, 8);
    put(head.data(), head.size());
    for (const auto* t : order) put(t->data, t->nbytes);
  });
}

}  // namespace bertc::model
