/* entrain command-line entry point (being written). */
#include <stdio.h>
int main(void)
{
    fprintf(stderr, "entrain: not yet\n");
    return 2;
}
