import resource; print(resource.getrlimit(resource.RLIMIT_NPROC)); resource.setrlimit(resource.RLIMIT_NPROC,(1000,1000))
