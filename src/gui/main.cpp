// Placeholder: the application shell engineer replaces this file.
int main() { return 0; }
