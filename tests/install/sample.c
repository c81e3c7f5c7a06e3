/* The smallest bertc consumer: checks that header and library agree. Built against the installed
 * package (CMake, pkg-config, the .deb) by the install tests. */
#include <bertc.h>
#include <stdio.h>

int main(void) {
  if (bert_check_version(BERTC_VERSION_NUMBER) != BERT_OK) {
    fprintf(stderr, "bertc mismatch: %s\n", bert_last_error());
    return 1;
  }
  printf("bertc %s ok\n", bert_version());
  return 0;
}
