/* Verbatim from lecture 13 (defects kept on purpose). */
#include <stdio.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ISIZE (sizeof(struct sockaddr_in))
#define MAXCONN 3
#define BUFSIZE 32

int main(int argc, char *argv[]) {
    int fd, sz;
    struct sockaddr_in srv;
    char buf[32];

    memset(&srv, 0, ISIZE);
    srv.sin_family = AF_INET;
    inet_pton(AF_INET, argv[1], &(srv.sin_addr));
    srv.sin_port = htons(atoi(argv[2]));

    fd = socket(AF_INET, SOCK_STREAM, 0);
    connect(fd, (struct sockaddr*) &srv, ISIZE);

    do {
        fgets(buf, BUFSIZE, stdin);
        if(buf[0]!='\n')
            write(fd, buf, strlen(buf));
        sz = read(fd, buf, BUFSIZE);
        if(sz>0) printf("%s\n", buf);
    } while(sz);
    return 0;
}
