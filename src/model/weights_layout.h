// Where a BERT model's parameters live in a checkpoint, without LibTorch: their HF names and
// shapes for a config, the names a checkpoint may use for each, and the check that a safetensors file
// fits a config (run before anything is allocated). Used by the loader and the fuzz targets.
#ifndef BERTC_MODEL_WEIGHTS_LAYOUT_H_
#define BERTC_MODEL_WEIGHTS_LAYOUT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model/config.h"

namespace bertc::model {

class SafetensorsFile;

// The parameters (HF names, shapes) a model of `config` (its task's head included) has.
std::vector<std::pair<std::string, std::vector<int64_t>>> ExpectedParameterShapes(const BertConfig& config);

// Checkpoint names to look for one parameter: as is, without "bert." (BertModel saves), with TF-era
// LayerNorm.gamma/beta names; cls.predictions.bias may appear as the decoder's bias.
std::vector<std::string> Candidates(const std::string& name);

// Whether a parameter belongs to a head (cls.*, classifier.*, bert.pooler.*) rather than the encoder.
bool IsHeadParameter(const std::string& name);

// Throws FormatError unless `file` holds every encoder tensor `config` implies, with a float dtype
// and its shape (head tensors may be absent; with `encoder_only` their shapes are not checked
// either, for a head that will be replaced): the model's memory is then bounded by the file's.
void CheckWeightsFitConfig(const BertConfig& config, const SafetensorsFile& file, bool encoder_only = false);

// "[2, 3]"
std::string ShapeText(const std::vector<int64_t>& shape);

}  // namespace bertc::model

#endif  // BERTC_MODEL_WEIGHTS_LAYOUT_H_
