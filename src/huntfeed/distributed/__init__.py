"""huntfeed.distributed"""
